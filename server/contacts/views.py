"""What the contacts pages show, read through the scope gate; every view that shows residents
writes its one audit row (ids of the people shown) in the request's transaction."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.assignments.service import live_assignments
from server.audit.service import record
from server.concerns.models import Concern
from server.contacts import queries, service
from server.contacts.models import Activity, ActivityItem, Contact, note_of
from server.db import utcnow
from server.errors import NotFound
from server.households.models import Person
from server.i18n import TOKYO
from server.scope import Scope, require_household
from server.users.models import User

# Other domains add notices at the top of the round (the field roles' home screen) without this
# module knowing them: `async fn(session, actor, scope) -> [notice]`, each with `.template`.
ROUND_NOTICES: list = []


@dataclass
class RoundView:
    entries: list[queries.RoundEntry]
    saved: Contact | None
    today: dt.date
    is_commissioner: bool
    total: int = 0
    page: int = 1
    flagged: int | None = None  # the concern the saved contact already raised
    notices: list = field(default_factory=list)  # from ROUND_NOTICES (salons: a session cancelled or moved)

    @property
    def next_page(self) -> int | None:
        return self.page + 1 if self.page * queries.PER_PAGE < self.total else None


async def view_round(session: AsyncSession, *, actor: User, scope: Scope, saved_id: int | None,
                     page: int = 1) -> RoundView:
    """The round, most overdue first, 50 households a page (an older person's phone, not a ledger)."""
    page = max(1, min(page, 1000))
    entries, total = await queries.round_page(session, scope, offset=(page - 1) * queries.PER_PAGE)
    saved = None
    if saved_id:
        saved = await session.get(Contact, saved_id)
        if saved is None or saved.author_id != actor.id:
            saved = None
    await record(session, action="round.viewed", actor_id=actor.id, municipality_id=actor.municipality_id,
                 object_type="round", ids=[p.id for e in entries for p in e.members] or None)
    flagged = (await session.scalar(select(Concern.id).where(Concern.contact_id == saved.id))) \
        if saved is not None else None
    notices = [n for provider in ROUND_NOTICES for n in await provider(session, actor, scope)]
    return RoundView(entries, saved, utcnow().astimezone(TOKYO).date(), "commissioner" in scope.roles, total, page,
                     flagged, notices)


async def round_card(session: AsyncSession, *, scope: Scope, household_id: int) -> queries.RoundEntry | None:
    """One card of the round (the htmx answer to a quick log or an undo). The contact.logged /
    contact.withdrawn row of the same request already names the household's members."""
    entries = await queries.round_for(session, scope, only=household_id)
    return entries[0] if entries else None


async def contact_form(session: AsyncSession, *, actor: User, scope: Scope, household_id: int) -> dict:
    household = await require_household(session, scope, household_id)
    members = list((await session.scalars(select(Person).where(
        Person.household_id == household.id, Person.watch_ok.is_(True)).order_by(Person.kana_norm))).all())
    commissioners: list[User] = []
    if scope.coordinates(household.municipality_id):
        for a in await live_assignments(session, household.id):
            if a.role == "commissioner":
                user = await session.get(User, a.user_id)
                if user is not None:
                    commissioners.append(user)
    await record(session, action="household.viewed", actor_id=actor.id, municipality_id=household.municipality_id,
                 object_type="household", object_id=household.id, ids=[m.id for m in members] or None)
    return {"household": household, "members": members, "commissioners": commissioners,
            "owner_role": "commissioner" if "commissioner" in scope.roles else
            ("volunteer" if "volunteer" in scope.roles else "coordinator"),
            "action": f"/households/{household.id}/contacts", "correcting": None}


async def correction_form(session: AsyncSession, *, actor: User, scope: Scope, contact_id: int) -> dict:
    contact = await session.get(Contact, contact_id)
    if contact is None or not service.may_edit(contact, actor, scope):
        raise NotFound()
    ctx = await contact_form(session, actor=actor, scope=scope, household_id=contact.household_id)
    items = (await session.scalars(select(ActivityItem).where(ActivityItem.contact_id == contact.id))).all()
    values = {
        "method": contact.method, "outcome": contact.outcome, "signs": contact.signs, "note": note_of(contact),
        "occurred_at": contact.occurred_at.astimezone(TOKYO).strftime("%Y-%m-%dT%H:%M"),
        "duration": contact.duration_minutes or "", "met": contact.met_person_ids, "met_given": "1",
        "liaison": [i.liaison_with for i in items if i.kind == "liaison"],
        "client_id": f"corr-{contact.id}-{utcnow().timestamp():.0f}",
    }
    for n, item in enumerate([i for i in items if i.kind == "consult"][:3]):
        values[f"consult_field_{n}"], values[f"consult_content_{n}"] = item.field, item.content
    ctx.update(values=values, action=f"/contacts/{contact.id}/correct", correcting=contact)
    return ctx


def parse_month(month: str | None, today: dt.date) -> tuple[int, int]:
    """'YYYY-MM' within this and the previous month; anything else means this month."""
    try:
        year, mon = (int(x) for x in (month or "").split("-"))
        chosen = dt.date(year, mon, 1)
    except (ValueError, TypeError):
        return today.year, today.month
    if chosen in (service.month_start(today), service.previous_month_start(today)):
        return year, mon
    return today.year, today.month


async def activity(session: AsyncSession, *, actor: User, month: str | None) -> dict:
    today = utcnow().astimezone(TOKYO).date()
    year, mon = parse_month(month, today)
    blocks = await queries.month_blocks(session, actor.id, year, mon)
    recent = list((await session.scalars(select(Activity).where(
        Activity.owner_id == actor.id, Activity.withdrawn_at.is_(None),
        Activity.occurred_on >= service.previous_month_start(today)).order_by(Activity.occurred_on.desc()).limit(30))).all())
    prev = service.previous_month_start(today)
    return {"blocks": blocks, "recent": recent, "today": today, "shown_month": f"{year}-{mon:02d}",
            "this_month": f"{today.year}-{today.month:02d}", "prev_month": f"{prev.year}-{prev.month:02d}",
            "editable_since": utcnow() - service.EDIT_WINDOW}
