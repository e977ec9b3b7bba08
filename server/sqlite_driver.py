"""A thinner aiosqlite adapter for the embedded database: one thread hop per statement.

aiosqlite runs each sqlite3 call on its connection's own thread and hands the result back
through the event loop. SQLAlchemy's stock adapter makes four such calls per statement (open a
cursor, execute, fetch all rows, close the cursor); each is a queue put, a thread wake-up and a
loop wake-up. A quick log runs about ten statements, so the hops, not SQLite, were most of its
cost. Here the whole statement (cursor, execute, fetch, close) is one function run on the
connection's thread, so a statement costs one hop.

Writers queue in the process, not in SQLite. A write transaction (BEGIN IMMEDIATE, see
server/db.py) first takes an asyncio lock per database file, released when it commits or rolls
back. Without it, concurrent writers wait in SQLite's busy handler, which polls with sleeps of
1, 2, 5, 10, 25... ms: the lock sat free while the next writer slept, and under twenty phones
logging at once most of a quick log's time was that sleep. The asyncio lock hands over in FIFO
order the moment the holder commits. SQLite's own busy timeout still guards against other
processes (several workers, the CLI), and a wait longer than that timeout fails the same way
("database is locked") instead of hanging.

Only the client-side cursor changes; rows are still fetched whole (as the stock adapter does),
streaming (server-side) cursors keep the stock behaviour, and PostgreSQL is untouched.
"""
from __future__ import annotations

import asyncio
import collections
import contextlib
import sqlite3
import weakref
from collections.abc import Iterator
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_


WRITE_WAIT_SECONDS = 10.0  # as PRAGMA busy_timeout in server/db.py
_WRITE_LOCKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _write_lock(database: str) -> asyncio.Lock:
    """One lock per event loop and database file (tests run many loops and many files)."""
    per_loop = _WRITE_LOCKS.setdefault(asyncio.get_running_loop(), {})
    lock = per_loop.get(database)
    if lock is None:
        lock = per_loop[database] = asyncio.Lock()
    return lock


_TRACERS: list = []  # see trace()


@contextlib.contextmanager
def trace() -> Iterator[list[str]]:
    """Every statement this driver sends to SQLite while the block runs, including the COMMIT /
    BEGIN IMMEDIATE it adds itself (SQLAlchemy's cursor events do not see those). For tests."""
    seen: list[str] = []
    _TRACERS.append(seen.append)
    try:
        yield seen
    finally:
        _TRACERS.remove(seen.append)


class _PrefixFailed(Exception):
    """The COMMIT / BEGIN IMMEDIATE run before a statement failed: no write transaction is open."""


def _run(conn: sqlite3.Connection, operation: str, parameters: Any, many: bool, prefix: tuple = ()) -> tuple:
    """On the connection's thread: the whole statement, returning what the cursor would report."""
    for tracer in _TRACERS:
        for statement in (*prefix, operation):
            tracer(" ".join(statement.split()))
    cur = conn.cursor()
    try:
        for statement in prefix:
            try:
                cur.execute(statement)
            except sqlite3.Error as error:
                raise _PrefixFailed(error) from error
        if many:
            cur.executemany(operation, parameters)
        else:
            cur.execute(operation, () if parameters is None else parameters)
        description = cur.description
        rows = cur.fetchall() if description else None
        return description, cur.rowcount, cur.lastrowid, rows
    finally:
        cur.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """No aiosqlite cursor at all: description, rowcount and lastrowid are kept from the run."""

    __slots__ = ("_description", "_rowcount", "_lastrowid")
    # Nothing is open between statements, so there is nothing to close asynchronously.
    _awaitable_cursor_close = False

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:  # noqa: D107
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description = None
        self._rowcount = -1
        self._lastrowid = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    def close(self) -> None:
        self._rows.clear()

    async def _hop(self, operation: str, parameters: Any, many: bool) -> None:
        connection = self._adapt_connection
        prefix: tuple = ()
        if connection._write_next:
            # The read phase is over (see write_from_next_statement): end its snapshot and take the
            # write lock in the same hop as the handler's first statement.
            connection._write_next = False
            prefix = ("COMMIT", "BEGIN IMMEDIATE")
        begins = bool(prefix) or (not many and operation.startswith("BEGIN IMMEDIATE"))
        if begins and connection._holding is None:
            await connection.take_write_lock()
        try:
            await self._run_on_thread(operation, parameters, many, prefix)
        except _PrefixFailed as failed:
            connection.release_write_lock()
            raise failed.__cause__ from None
        except BaseException:
            if not prefix and begins:
                connection.release_write_lock()
            raise

    async def _run_on_thread(self, operation: str, parameters: Any, many: bool, prefix: tuple) -> None:
        async with self._adapt_connection._execute_mutex:
            aio = self._connection
            self._description, self._rowcount, self._lastrowid, rows = await aio._execute(
                _run, aio._conn, operation, parameters, many, prefix)
            self._rows = collections.deque(rows) if rows else collections.deque()

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        await self._hop(operation, parameters, False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        await self._hop(operation, seq_of_parameters, True)

    def nextset(self) -> None:  # sqlite3 has no multiple result sets
        self._rows.clear()

    def setinputsizes(self, *inputsizes: Any) -> None:
        return None


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("_database", "_holding", "_write_next")
    _cursor_cls = OneHopCursor

    def __init__(self, dbapi: Any, connection: Any, database: str) -> None:  # noqa: D107
        super().__init__(dbapi, connection)
        self._database = database
        self._holding: asyncio.Lock | None = None
        self._write_next = False

    def write_from_next_statement(self) -> None:
        """End a deferred read transaction lazily: the next statement, if any, first runs COMMIT
        and BEGIN IMMEDIATE in its own hop (so the write lock is still taken only when the handler
        touches the database, after a slow phone's form body has arrived). Keeping the connection
        spares a commit, a return to the pool and a check-out on every request."""
        self._write_next = True

    async def take_write_lock(self) -> None:
        lock = _write_lock(self._database)
        try:
            await asyncio.wait_for(lock.acquire(), WRITE_WAIT_SECONDS)
        except asyncio.TimeoutError:
            raise sqlite3.OperationalError("database is locked") from None
        self._holding = lock

    def release_write_lock(self) -> None:
        lock, self._holding = self._holding, None
        if lock is not None:
            lock.release()

    # The transaction ends with any of these; the lock goes with it, whatever happened.
    def commit(self) -> None:
        self._write_next = False  # the read transaction ends here instead
        try:
            super().commit()
        finally:
            self.release_write_lock()

    def rollback(self) -> None:
        self._write_next = False
        try:
            super().rollback()
        finally:
            self.release_write_lock()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.release_write_lock()

    def terminate(self) -> None:
        try:
            super().terminate()
        finally:
            self.release_write_lock()


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        connection = aiosqlite.connect(*arg, **kw)
        connection._thread.daemon = True  # as SQLAlchemy's adapter does: never block interpreter exit
        database = str(arg[0] if arg else kw.get("database", ""))
        return OneHopConnection(self, await_(connection), database)


def dbapi() -> OneHopDBAPI:
    return OneHopDBAPI(aiosqlite, sqlite3)
