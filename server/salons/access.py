"""Who may see and run which salon (the salons part of the scope gate).

- coordinators: every salon of their municipality;
- organisers (a live salon_organisers row; they are volunteers or commissioners): their salons'
  roster, sessions, sign-ups, attendance and follow-ups;
- other volunteers and commissioners of the municipality: the salon's sessions (to sign up the
  residents they watch over) and their own sign-ups, never the roster.
Out of scope answers 404.
"""
from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db import utcnow
from server.errors import NotFound
from server.salons.models import Salon, SalonOrganiser, SalonSession
from server.scope import Scope


def live_organiser():
    now = utcnow()
    return (SalonOrganiser.valid_from <= now, or_(SalonOrganiser.valid_to.is_(None), SalonOrganiser.valid_to > now))


async def organised_salon_ids(session: AsyncSession, scope: Scope) -> set[int]:
    cached = getattr(scope, "_organised_salons", None)
    if cached is None:
        cached = set((await session.scalars(select(SalonOrganiser.salon_id).where(
            SalonOrganiser.user_id == scope.user_id, *live_organiser()))).all())
        scope._organised_salons = cached  # type: ignore[attr-defined]
    return cached


async def runs(session: AsyncSession, scope: Scope, salon: Salon) -> bool:
    """Coordinator of its municipality, or a live organiser of it."""
    return scope.coordinates(salon.municipality_id) or salon.id in await organised_salon_ids(session, scope)


async def require_salon(session: AsyncSession, scope: Scope, salon_id: int, *, run: bool = True) -> Salon:
    """The salon; run=True: only for who runs it; run=False: also the field roles of its municipality."""
    salon = await session.get(Salon, salon_id)
    if salon is None:
        raise NotFound()
    if await runs(session, scope, salon):
        return salon
    if not run and scope.is_field and salon.municipality_id in scope.municipalities:
        return salon
    raise NotFound()


async def require_session(session: AsyncSession, scope: Scope, session_id: int, *,
                          run: bool = True) -> tuple[SalonSession, Salon]:
    row = await session.get(SalonSession, session_id)
    if row is None:
        raise NotFound()
    salon = await require_salon(session, scope, row.salon_id, run=run)
    return row, salon
