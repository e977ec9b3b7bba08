"""Request dependencies: one database session per request (the transaction is the request)."""
from __future__ import annotations

from collections.abc import AsyncGenerator

from litestar import Request
from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.sessions import Current, resolve
from server.config import Settings


async def provide_db(state: State) -> AsyncGenerator[AsyncSession, None]:
    """Commits when the handler returns; a raised error (domain or not) rolls everything back."""
    async with state.sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


def provide_settings(state: State) -> Settings:
    return state.settings


async def provide_current(request: Request, db: AsyncSession, settings: Settings) -> Current:
    return await resolve(request, db, settings)
