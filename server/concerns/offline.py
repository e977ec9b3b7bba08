"""The `concern` kind of offline outbox entry: the raise form written on a phone with no signal.
Registered never_held: a concern is routed on arrival whatever happened meanwhile (a paused
household, a reassignment); if it still cannot be stored, the sync service holds it as "failed"
for the coordinator rather than lose it."""
from __future__ import annotations

from server.concerns import service
from server.errors import NotFound
from server.i18n import N_
from server.offline.registry import Applied, SyncContext, positive_id, register_kind


def _text(value: object, limit: int) -> str:
    return str(value or "")[:limit]


async def apply_concern(session, ctx: SyncContext) -> Applied:
    d = ctx.data
    fields = dict(household_id=positive_id(d.get("household_id")), area_id=positive_id(d.get("area_id")),
                  person_id=positive_id(d.get("person_id")), place=_text(d.get("place"), 400),
                  target_group=_text(d.get("target_group"), 32), category=_text(d.get("category"), 32),
                  urgency=_text(d.get("urgency"), 32), seen=_text(d.get("seen"), 2000),
                  done=_text(d.get("done"), 2000))
    try:
        row, created = await service.raise_concern(session, actor=ctx.actor, scope=ctx.scope,
                                                   client_id=ctx.client_id, **fields)
    except NotFound:
        # The household was reassigned away after the concern was written: it is still routed
        # (never held), as long as the reporter was once assigned to it.
        row, created = await service.raise_concern(session, actor=ctx.actor, scope=ctx.scope,
                                                   client_id=ctx.client_id, formerly_assigned=True, **fields)
    return Applied("concern", row.id, created, row.household_id, row.municipality_id)


register_kind("concern", apply_concern, label=N_("Concern"), never_held=True)
