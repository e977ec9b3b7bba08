"""What the handover page shows: the municipality's commissioners, its households nobody watches
over (audited as listed, here, as every "viewed" row is written by the view that loads what is
shown), and the term's end."""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from server.assignments import service
from server.audit.service import record
from server.db import utcnow
from server.households.service import watch_settings
from server.i18n import TOKYO
from server.scope import Scope
from server.users.models import User


async def handover_page(session: AsyncSession, *, actor: User, scope: Scope, municipality_id: int) -> dict:
    rules = await watch_settings(session, municipality_id)
    today = utcnow().astimezone(TOKYO).date()
    unassigned = await service.unassigned(session, scope, municipality_id)
    await record(session, action="households.unassigned_viewed", actor_id=actor.id, municipality_id=municipality_id,
                 object_type="unassigned", ids=[h.id for h in unassigned] or None)
    return {"commissioners": await service.candidates(session, municipality_id, "commissioner"),
            "unassigned": unassigned, "m": municipality_id,
            "term_end": service.term_end(today, rules.term_end_month, rules.term_end_day)}
