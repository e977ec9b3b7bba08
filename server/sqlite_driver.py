"""A thinner aiosqlite adapter for the embedded database: one thread hop per statement.

aiosqlite runs each sqlite3 call on its connection's own thread and hands the result back
through the event loop. SQLAlchemy's stock adapter makes four such calls per statement (open a
cursor, execute, fetch all rows, close the cursor); each is a queue put, a thread wake-up and a
loop wake-up. A quick log runs about ten statements, so the hops, not SQLite, were most of its
cost. Here the whole statement (cursor, execute, fetch, close) is one function run on the
connection's thread, so a statement costs one hop.

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
        if connection._begin_next:
            # The transaction opens in the same hop as its first statement (see begin_with_next_statement);
            # a read phase closed before anything ran simply becomes a write transaction.
            prefix = ("BEGIN IMMEDIATE",) if connection._write_next else (connection._begin_next,)
            connection._begin_next = connection._write_next = False
        elif connection._write_next:
            # The read phase is over (see write_from_next_statement): end its snapshot and start the
            # write transaction in the same hop as the handler's first statement.
            connection._write_next = False
            prefix = ("COMMIT", "BEGIN IMMEDIATE")
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
    __slots__ = ("_write_next", "_begin_next")
    _cursor_cls = OneHopCursor

    def __init__(self, dbapi: Any, connection: Any) -> None:  # noqa: D107
        super().__init__(dbapi, connection)
        self._write_next = False
        self._begin_next: str | bool = False

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
    # never sent its BEGIN has nothing to end on SQLite's side (no hop at all).
    def commit(self) -> None:
        self._write_next = False
        if self._begin_next:
            self._begin_next = False
            return
        super().commit()

    def rollback(self) -> None:
        self._write_next = False
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
