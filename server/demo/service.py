"""Demo personas and the demo sign-in (only ever reachable when TSUNAGU_DEMO=1 on loopback)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.areas.models import Area
from server.audit.service import record
from server.auth.models import WebSession
from server.auth.sessions import start_signed_in
from server.config import Settings
from server.demo.seed import PERSONAS, PREFECTURE, demo_city
from server.errors import NotFound
from server.users.models import User


async def demo_personas(session: AsyncSession) -> list[dict]:
    """[{"label", "name", "user_id"}] in the order of the demo buttons; empty before the seed ran.

    A persona is the first (oldest) active person with that name in the demo town: the seed
    made them before anyone else, so a later namesake invited in the demo cannot take the button.
    """
    city = await demo_city(session)
    if city is None:
        return []
    pref = (await session.scalars(select(Area).where(Area.level == "prefecture", Area.code == PREFECTURE[1],
                                                     Area.name == PREFECTURE[0]))).first()
    out = []
    for label, name in PERSONAS:
        home = None if label == "県職員" else city.id
        q = select(User).where(User.display_name == name, User.status == "active")
        q = q.where(User.municipality_id.is_(None) if home is None else User.municipality_id == home)
        user = (await session.scalars(q.order_by(User.id).limit(1))).first()
        if user is not None and (home is not None or pref is not None):
            out.append({"label": label, "name": name, "user_id": user.id})
    return out


async def sign_in_as_persona(session: AsyncSession, settings: Settings, *, user_id: int,
                             old: WebSession | None) -> str:
    """Start a signed-in session for a demo persona; counts as a fresh passkey check. Returns the cookie token."""
    if not settings.demo:
        raise NotFound()
    if user_id not in {p["user_id"] for p in await demo_personas(session)}:
        raise NotFound()
    user = await session.get(User, user_id)
    assert user is not None
    token, _row = await start_signed_in(session, settings, user=user, old=old, passkey_id=None)
    await record(session, action="auth.demo_signed_in", actor_id=user.id, municipality_id=user.municipality_id,
                 object_type="user", object_id=user.id)
    return token
