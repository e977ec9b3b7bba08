"""Invitation tokens: random, shown once, stored as SHA-256, single use, 72 hours.

A new invitation for a person cancels their older unused ones (a re-invite to recover a
lost phone leaves exactly one working link).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from server.audit.service import record
from server.auth.models import Invitation
from server.db import utcnow
from server.users.models import User


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_invitation(session: AsyncSession, *, actor_id: int | None, user: User,
                            hours: int = 72, municipality_id: int | None = None) -> str:
    """Returns the raw token (for the link); only its hash is stored."""
    now = utcnow()
    await session.execute(
        update(Invitation)
        .where(Invitation.user_id == user.id, Invitation.used_at.is_(None), Invitation.cancelled_at.is_(None))
        .values(cancelled_at=now)
    )
    token = secrets.token_urlsafe(32)
    inv = Invitation(token_hash=hash_token(token), user_id=user.id, created_by=actor_id, created_at=now,
                     expires_at=now + dt.timedelta(hours=hours))
    session.add(inv)
    await session.flush()
    await record(session, action="invitation.created", actor_id=actor_id,
                 municipality_id=municipality_id if municipality_id is not None else user.municipality_id,
                 object_type="user", object_id=user.id, ids=[inv.id])
    return token


def invitation_url(origin: str, token: str) -> str:
    return f"{origin}/invite/{token}"
