"""Request dependencies: one database session per request (the transaction is the request).

The session is opened by whoever needs it first: the access guard (server/access.py), which reads
who is asking before the handler runs, or else `provide_db`. Either way it is the same session,
so the sign-in lookup, the handler's reads and its writes are one transaction, and on SQLite who is
asking is still read in the request's read phase (server/db.py) before the write lock is taken.
"""
from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy.ext.asyncio import AsyncSession

from server.config import Settings

# Where the guard leaves the session it opened, in the ASGI scope's state, for provide_db to take.
_OPENED = "tsunagu_db_session"


def request_session(connection: ASGIConnection) -> AsyncSession:
    """The request's session, opened on first use and left for provide_db to take over."""
    state = connection.scope["state"]
    session = state.get(_OPENED)
    if session is None:
        session = state[_OPENED] = connection.app.state.sessionmaker()
    return session


async def discard_request_session(connection: ASGIConnection) -> None:
    """Close (and so roll back) a session no handler will take: the request was refused."""
    session = connection.scope["state"].pop(_OPENED, None)
    if session is not None:
        await session.close()


async def provide_db(request: Request, state: State) -> AsyncGenerator[AsyncSession, None]:
    """Commits when the handler returns; a raised error (domain or not) rolls everything back."""
    session = request.scope["state"].pop(_OPENED, None) or state.sessionmaker()
    async with session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


def close_unclaimed_session(app: ASGIApp) -> ASGIApp:
    """Middleware: a session the guard opened but no handler took is closed when the request ends.

    Why: between the guard and provide_db, Litestar may still refuse the request (a body it cannot
    parse); an open session would otherwise hold its connection, and on SQLite perhaps the write
    lock, until the garbage collector found it."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await app(scope, receive, send)
        finally:
            state: dict[str, Any] = scope.get("state") or {}
            session = state.pop(_OPENED, None)
            if session is not None:
                await session.close()

    return middleware


def provide_settings(state: State) -> Settings:
    return state.settings
