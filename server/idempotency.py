"""Writes that may arrive twice: a phone on one bar of signal resends, the offline outbox replays,
two phones tap the same row. Each write carries a client id made on the device; the row's unique
constraint on it turns the second arrival into "already stored" instead of a duplicate."""
from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import Invalid
from server.i18n import N_


def check_client_id(client_id: str | None) -> str:
    """The client id a form or a phone sent with its write, checked; every stored write carries one."""
    client_id = (client_id or "").strip()
    if not 8 <= len(client_id) <= 64 or not all(c.isalnum() or c in "-_:" for c in client_id):
        raise Invalid(fields={"client_id": N_("The form was incomplete. Please reload the page and try again.")})
    return client_id


async def add_unless_duplicate(session: AsyncSession, row: object) -> bool:
    """Insert `row`, or return False when a unique constraint says it is stored already (also by
    a concurrent request). SQLite: BEGIN IMMEDIATE already serialises writers and a failed
    statement leaves the transaction usable; PostgreSQL: a savepoint keeps the transaction alive."""
    try:
        if session.bind.dialect.name == "sqlite":
            session.add(row)
            await session.flush()
        else:
            async with session.begin_nested():
                session.add(row)
                await session.flush()
    except IntegrityError:
        return False
    return True
