"""From a count to the records behind it: coordinators only, inside their own municipality.
Lists of households (address, last contact) or concerns (category, urgency, target), each linking
to its own page; opening a list is audited with the ids shown."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.areas.models import Area
from server.audit.actions import register
from server.audit.service import record
from server.concerns.models import Concern
from server.console.access import Access
from server.db import utcnow
from server.errors import NotFound
from server.households.models import Household
from server.i18n import N_

register({
    "console.records_viewed": N_("Console: records behind a figure viewed"),
    "console.exported": N_("Console: table exported"),
})

KINDS = {
    "unseen": N_("Households nobody has been in contact with for two months"),
    "overdue": N_("Households overdue by more than one cadence"),
    "past_target": N_("Open concerns past their target"),
}
LIMIT = 500


def _under(area: Area):
    return or_(Area.id == area.id, Area.parent_id == area.id, Area.municipality_id == area.id)


async def records(session: AsyncSession, *, actor, access: Access, area: Area, kind: str) -> dict:
    if not access.coordinator or kind not in KINDS or not access.contains(area):
        raise NotFound()
    now = utcnow()
    areas = select(Area.id).where(_under(area))
    if kind == "past_target":
        rows = list((await session.scalars(select(Concern).where(
            Concern.area_id.in_(areas), Concern.state == "new", Concern.due_at < now)
            .order_by(Concern.due_at).limit(LIMIT))).all())
        ids = [r.id for r in rows]
    else:
        seen = func.coalesce(Household.last_contact_at, Household.created_at)
        on_round = and_(Household.area_id.in_(areas), Household.status == "active", Household.watch_ok.is_(True))
        candidates = (await session.scalars(select(Household).where(on_round).order_by(seen, Household.id))).all()

        def late(h: Household) -> bool:
            days = (now - (h.last_contact_at or h.created_at)).total_seconds() / 86400
            return days > 60 if kind == "unseen" else days > 2 * h.cadence_days

        rows = [h for h in candidates if late(h)][:LIMIT]
        ids = [r.id for r in rows]
    await record(session, action="console.records_viewed", actor_id=actor.id, municipality_id=area.municipality_id,
                 object_type="area", object_id=area.id, ids=ids or None)
    names = dict((await session.execute(select(Area.id, Area.name).where(_under(area)))).all())
    return {"kind": kind, "title": KINDS[kind], "rows": rows, "area": area, "names": names,
            "today": now.date() if isinstance(now, dt.datetime) else now}
