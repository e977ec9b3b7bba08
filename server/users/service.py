"""Writes about people who use Tsunagu: each in the caller's transaction, each with its audit row."""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from server.audit.service import record
from server.i18n import LOCALES
from server.errors import Invalid
from server.users.models import User


async def set_locale(session: AsyncSession, *, actor: User, locale: str) -> None:
    if locale not in LOCALES:
        raise Invalid()
    if actor.locale == locale:
        return
    actor.locale = locale
    await record(session, action="user.locale_changed", actor_id=actor.id,
                 municipality_id=actor.municipality_id, object_type="user", object_id=actor.id)
