"""A thinner aiosqlite adapter for the embedded database: one thread hop per statement.

aiosqlite runs each sqlite3 call on its connection's own thread and hands the result back
through the event loop. SQLAlchemy's stock adapter makes four such calls per statement (open a
cursor, execute, fetch all rows, close the cursor); each is a queue put, a thread wake-up and a
loop wake-up. A quick log runs about ten statements, so the hops, not SQLite, were most of its
cost. Here the whole statement (cursor, execute, fetch, close) is one function run on the
connection's thread, so a statement costs one hop.

Two more savings, both about the write lock (SQLite has one per database, and with twenty phones
logging at once it sets the pace): a transaction's BEGIN travels with its first statement, and a
statement marked DEFERRABLE (nothing reads its result: rollup counts, the audit row, a household's
last contact) is held and sent with the transaction's next statement or its COMMIT, in order, so a
write transaction holds the lock for fewer round trips through the event loop. An error in a
held statement is raised by the statement it travels with, and the transaction rolls back.

Only the client-side cursor changes; rows are still fetched whole (as the stock adapter does),
streaming (server-side) cursors keep the stock behaviour, and PostgreSQL is untouched.
"""
from __future__ import annotations

import collections
import contextlib
import sqlite3
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


# In a statement's first 32 characters ("INSERT /*deferrable*/ INTO ...", "UPDATE /*deferrable*/ ..."):
# its result is never read, so it may wait for the next statement. PostgreSQL ignores the comment.
DEFERRABLE = "/*deferrable*/"


class _PrefixFailed(Exception):
    """The COMMIT / BEGIN IMMEDIATE run before a statement failed: no write transaction is open."""


def _run(conn: sqlite3.Connection, operation: str | None, parameters: Any, many: bool, prefix: tuple = ()) -> tuple:
    """On the connection's thread: the statements sent ahead (BEGIN / COMMIT, held statements,
    each a (sql, parameters) pair), then the statement itself; returns what the cursor would report.
    With operation None, only the statements ahead are run (before a COMMIT)."""
    for tracer in _TRACERS:
        for statement, _ in prefix:
            tracer(" ".join(statement.split()))
        if operation is not None:
            tracer(" ".join(operation.split()))
    cur = conn.cursor()
    try:
        for statement, params in prefix:
            try:
                cur.execute(statement, () if params is None else params)
            except sqlite3.Error as error:
                raise _PrefixFailed(error) from error
        if operation is None:
            return None, -1, None, None
        if many:
            cur.executemany(operation, parameters)
        else:
            cur.execute(operation, () if parameters is None else parameters)
        description = cur.description
        rows = cur.fetchall() if description else None
        return description, cur.rowcount, cur.lastrowid, rows
    finally:
        cur.close()


def _commit_after(conn: sqlite3.Connection, ahead: tuple) -> None:
    """On the connection's thread: the held statements, then COMMIT, in one hop."""
    _run(conn, None, None, False, ahead)
    conn.commit()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """No aiosqlite cursor at all: description, rowcount and lastrowid are kept from the run."""

    __slots__ = ("_description", "_lastrowid", "_rowcount")
    # Nothing is open between statements, so there is nothing to close asynchronously.
    _awaitable_cursor_close = False

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
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
        if not many and DEFERRABLE in operation[:32]:
            connection._held.append((operation, parameters))
            self._description, self._rowcount, self._lastrowid = None, -1, None
            self._rows = collections.deque()
            return
        prefix = connection._statements_ahead(reading=connection._read_once)
        connection._read_once = False
        try:
            await self._run_on_thread(operation, parameters, many, prefix)
        except _PrefixFailed as failed:
            raise failed.__cause__ from None

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
    __slots__ = ("_begin_next", "_held", "_read_once", "_write_next")
    _cursor_cls = OneHopCursor

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self._write_next = False
        self._begin_next: str | bool = False
        self._held: list[tuple[str, Any]] = []  # DEFERRABLE statements not sent yet
        self._read_once = False

    def _statements_ahead(self, *, reading: bool = False) -> tuple:
        """What must run before the next statement, in order: the transaction's BEGIN (or the end
        of its read phase and the write lock) and the held statements. `reading`: the next
        statement is a read that may still run in the read phase (read_next_statement)."""
        ahead: list[tuple[str, Any]] = []
        if self._begin_next:
            # The transaction opens in the same hop as its first statement (begin_with_next_statement);
            # a read phase closed before anything ran simply becomes a write transaction.
            if self._write_next and not (reading and not self._held):
                ahead.append(("BEGIN IMMEDIATE", None))
                self._write_next = False
            else:
                ahead.append((self._begin_next, None))
            self._begin_next = False
        elif self._write_next and not (reading and not self._held):
            # The read phase is over (write_from_next_statement): end its snapshot and take the
            # write lock in the same hop as the handler's first statement.
            ahead += [("COMMIT", None), ("BEGIN IMMEDIATE", None)]
            self._write_next = False
        if self._held:
            ahead += self._held
            self._held = []
        return tuple(ahead)

    def read_next_statement(self) -> None:
        """The next statement is a read that may still run in the read phase closed by
        write_from_next_statement (server/db.py read_before_write); the one after takes the lock."""
        self._read_once = True

    def begin_with_next_statement(self, begin: str) -> None:
        """Send `begin` ("BEGIN" or "BEGIN IMMEDIATE") with the transaction's first statement, in
        its hop, rather than as a hop of its own: every request opens a transaction, so this is one
        thread round trip fewer per request. A transaction in which nothing ran is never opened."""
        self._begin_next = begin

    def write_from_next_statement(self) -> None:
        """End a deferred read transaction lazily: the next statement, if any, first runs COMMIT
        and BEGIN IMMEDIATE in its own hop (so the write lock is still taken only when the handler
        touches the database, after a slow phone's form body has arrived). Keeping the connection
        spares a commit, a return to the pool and a check-out on every request."""
        self._write_next = True

    # The read transaction ends with either of these instead, if no statement followed; one that
    # never sent its BEGIN has nothing to end on SQLite's side (no hop at all). Held statements
    # travel with the COMMIT, and are dropped by a rollback (they never ran).
    def commit(self) -> None:
        self._read_once = False
        if self._held:
            ahead = self._statements_ahead()
            aio = self._connection
            try:
                await_(aio._execute(_commit_after, aio._conn, ahead))
            except _PrefixFailed as failed:
                self._handle_exception(failed.__cause__)
            except Exception as error:  # translated as the stock adapter does
                self._handle_exception(error)
            return
        self._write_next = False
        if self._begin_next:
            self._begin_next = False
            return
        super().commit()

    def rollback(self) -> None:
        self._held, self._read_once, self._write_next = [], False, False
        if self._begin_next:
            self._begin_next = False
            return
        super().rollback()


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        connection = aiosqlite.connect(*arg, **kw)
        connection._thread.daemon = True  # as SQLAlchemy's adapter does: never block interpreter exit
        return OneHopConnection(self, await_(connection))


def dbapi() -> OneHopDBAPI:
    return OneHopDBAPI(aiosqlite, sqlite3)
