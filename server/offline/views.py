"""What the review page of held offline entries shows (the page's one audit row is written here,
as every domain's "viewed" row is written by the view that loads what is shown)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.audit.service import record
from server.households.models import Household
from server.offline import service
from server.offline.registry import KINDS, REASONS
from server.scope import Scope, household_clause
from server.users.models import User


async def review_list(session: AsyncSession, *, actor: User, scope: Scope) -> list[dict]:
    """Each held entry with what it says, its kind and reason, and its household only when the
    reader may see that household (an author whose assignment ended sees the entry, not the address)."""
    rows = await service.held_entries(session, actor=actor, scope=scope)
    ids = {r.household_id for r in rows if r.household_id}
    await record(session, action="sync.review_viewed", actor_id=actor.id, municipality_id=actor.municipality_id,
                 object_type="households", ids=sorted(ids) or None)
    visible = {h.id: h for h in (await session.scalars(select(Household).where(
        Household.id.in_(ids), await household_clause(session, scope))))} if ids else {}
    return [{"row": r, "household": visible.get(r.household_id),
             "data": (service.open_payload(r).get("data") or {}) if r.payload_sealed else {},
             "kind": KINDS[r.kind].label if r.kind in KINDS else r.kind,
             "reason": REASONS.get(r.reason or "invalid", REASONS["invalid"]),
             "mine": r.author_id == actor.id} for r in rows]
