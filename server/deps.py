"""Request dependencies: one database session per request (the transaction is the request)."""
from __future__ import annotations

from collections.abc import AsyncGenerator

from litestar import Request
from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.sessions import Current, resolve
from server.config import Settings
from server.db import begin_read_phase


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
    # Resolving who is asking only reads: start it as a read transaction (see server/db.py).
    await begin_read_phase(db)
    return await resolve(request, db, settings)
