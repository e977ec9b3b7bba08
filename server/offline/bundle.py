"""The round bundle: what a phone keeps to do its round with no signal, and nothing more.

For every household on the person's round (not only the visited ones): the address, the
consenting members' names, the cadence, the last contact and the due date. No notes, no
sensitive fields, no concern details. The phone encrypts it at rest and keeps it at most
24 hours, and never beyond the session's absolute limit.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from server.audit.service import record
from server.contacts import queries
from server.db import utcnow
from server.scope import Scope
from server.users.models import User

LIFETIME = dt.timedelta(hours=24)


async def round_bundle(session: AsyncSession, *, actor: User, scope: Scope,
                       session_expires_at: dt.datetime | None) -> dict:
    scope.require("volunteer", "commissioner")
    entries = await queries.round_for(session, scope)
    now = utcnow()
    expires = now + LIFETIME
    if session_expires_at is not None:
        expires = min(expires, session_expires_at)
    households = [{
        "id": e.household.id,
        "address": e.household.address,
        "members": [p.name for p in e.members],
        "cadence_days": e.household.cadence_days,
        "last_contact_at": e.household.last_contact_at.isoformat() if e.household.last_contact_at else None,
        "due_on": e.due_on.isoformat() if e.due_on else None,
        "overdue_days": e.overdue_days,
    } for e in entries]
    await record(session, action="round.bundle_downloaded", actor_id=actor.id, municipality_id=actor.municipality_id,
                 object_type="round", ids=[p.id for e in entries for p in e.members] or None)
    # expires_at: the 24-hour limit of a phone without passkey PRF; session_expires_at: the
    # limit of a round kept under a passkey-derived key (never beyond the session).
    return {"user_id": actor.id, "made_at": now.isoformat(), "expires_at": expires.isoformat(),
            "session_expires_at": (session_expires_at or expires).isoformat(), "households": households}
