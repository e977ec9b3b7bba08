"""Async engine, sessions, the declarative base and the column types every model shares.

SQLite is the embedded default: WAL with synchronous=FULL (a write acknowledged to a
phone, which then deletes its copy, must survive a power cut), foreign keys on, a busy
timeout, and BEGIN IMMEDIATE so two writers queue instead of failing on a stale snapshot.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import JSON, DateTime, MetaData, String, TypeDecorator, event, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Session

from server import clock

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


# The app's clock lives in server/clock.py (one place that a test pin moves); re-exported here
# because most models import it with the column types.
utcnow = clock.utcnow


class UTCDateTime(TypeDecorator):
    """Stores UTC, always hands back an aware datetime (SQLite would drop the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class JSONList(TypeDecorator):
    """A small JSON list (ids, tags); stored as text so both databases agree."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: list | None, dialect: Any) -> str | None:
        return None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def process_result_value(self, value: str | None, dialect: Any) -> list | None:
        return None if value is None else json.loads(value)


# SQL functions a domain needs on every SQLite connection (the audit chain's MAC). The domain
# registers its own when it is imported, so this bottom layer never imports a domain; every
# program that opens an engine imports the domains it writes with first (create_app, the CLI, jobs).
_SQLITE_FUNCTIONS: dict[str, tuple[int, Any]] = {}


def register_sqlite_function(name: str, arity: int, function: Any) -> None:
    _SQLITE_FUNCTIONS[name] = (arity, function)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str, *, migrating: bool = False) -> AsyncEngine:
    if is_sqlite(url):
        from server.sqlite_driver import dbapi  # here: a PostgreSQL deployment never loads the embedded driver

        # module=: the one-hop aiosqlite adapter (see server/sqlite_driver.py).
        # paramstyle="named": a parameter used many times in one statement (the sign-in lookup
        # compares `now` with every grant's dates, 22 places) is converted and sent once, not once
        # per place as SQLite's default positional style needs; it cut that query's cost by a third.
        engine = create_async_engine(url, module=dbapi(), connect_args={"timeout": 30}, paramstyle="named",
                                     pool_size=20, max_overflow=10)
        _sqlite_pragmas(engine, foreign_keys=not migrating)
    else:
        engine = create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)
    return engine


def _sqlite_pragmas(engine: AsyncEngine, *, foreign_keys: bool) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy's "begin" event decide how transactions start (see below).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA busy_timeout=10000")
        # Migrations rebuild tables (batch mode); with foreign keys on, that would cascade-delete children.
        cur.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cur.close()
        for name, (arity, function) in _SQLITE_FUNCTIONS.items():
            dbapi_conn.create_function(name, arity, function, deterministic=True)

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn):
        # IMMEDIATE takes the write lock up front: a read-then-write transaction can
        # otherwise fail with SQLITE_BUSY_SNAPSHOT when another writer commits first.
        # A transaction opened with begin_read_phase() promises not to write and starts deferred,
        # so it reads beside writers (WAL) instead of queueing for the lock.
        begin = "BEGIN" if conn.get_execution_options().get(READ_PHASE) else "BEGIN IMMEDIATE"
        raw = conn.connection.dbapi_connection
        if hasattr(raw, "begin_with_next_statement"):  # the embedded driver: sent with the first statement
            raw.begin_with_next_statement(begin)
        else:
            conn.exec_driver_sql(begin)


READ_PHASE = "tsunagu_read_phase"
_READ_ENDED = "tsunagu_read_phase_ended"


async def begin_read_phase(session: AsyncSession) -> None:
    """Open the session's transaction as a read-only phase (SQLite: deferred BEGIN).

    Why: the write lock is otherwise taken by the first query of the request (who is asking)
    and held while the handler still waits for a slow phone's form body to arrive.

    Must be followed by end_read_phase() before anything is written: a deferred SQLite
    transaction that later writes can fail with SQLITE_BUSY_SNAPSHOT.
    """
    if not session.in_transaction() and session.bind.dialect.name == "sqlite":
        conn = await session.connection(execution_options={READ_PHASE: True})
        # The driver's connection, kept for end_read_phase / read_before_write (no awaits there).
        session.info[READ_PHASE] = conn.sync_connection.connection.dbapi_connection


async def end_read_phase(session: AsyncSession) -> None:
    """Close a read phase: the next statement opens a normal (write-locking) transaction."""
    raw = session.info.pop(READ_PHASE, None)
    if raw is not None and session.in_transaction():
        assert not (session.new or session.dirty or session.deleted), "a read phase wrote"
        session.info[_READ_ENDED] = raw
        if hasattr(raw, "write_from_next_statement"):  # the embedded driver (server/sqlite_driver.py)
            raw.write_from_next_statement()
        else:
            await session.commit()


@event.listens_for(Session, "after_transaction_end")
def _forget_read_phase(session: Session, transaction: Any) -> None:
    # A read phase belongs to one transaction (and its connection goes back to the pool after it).
    if transaction.parent is None:
        session.info.pop(READ_PHASE, None)
        session.info.pop(_READ_ENDED, None)


async def read_before_write(session: AsyncSession) -> None:
    """The next statement, a read, may still run in a read phase that end_read_phase() closed;
    the write lock is then taken by the statement after it. Only for a read whose answer may be
    a few milliseconds old when the writes start (see its caller). No effect elsewhere."""
    raw = session.info.pop(_READ_ENDED, None)
    if raw is not None and session.in_transaction() and hasattr(raw, "read_next_statement"):
        raw.read_next_statement()


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def ping(engine: AsyncEngine) -> bool:
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True
    except Exception:  # any failure means "not healthy"
        return False


__all__ = ["JSON", "READ_PHASE", "Base", "JSONList", "UTCDateTime", "begin_read_phase", "end_read_phase", "make_engine",
           "make_sessionmaker", "ping", "read_before_write", "register_sqlite_function", "utcnow"]
