"""What the activity-record pages show. Figures are counts about commissioners' work, never residents;
the one page that lists entries (the contacts behind a figure) writes its audit row."""
from __future__ import annotations

import calendar
import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server import clock
from server.activity import compile as c
from server.activity import queries, service
from server.activity.models import ActivityMonth, Adjustment, Reminder, Submission
from server.areas.models import Organisation
from server.audit.service import record
from server.contacts.models import Activity, ActivityItem, Contact
from server.errors import NotFound
from server.households.models import Household
from server.households.rules import watch_settings
from server.i18n import TOKYO, get_locale, wareki
from server.scope import Scope
from server.users.models import User


def recent_months(n: int = 12) -> list[tuple[int, int]]:
    t = clock.today_tokyo()
    out, ym = [], (t.year, t.month)
    for _ in range(n):
        out.append(ym)
        ym = c.previous(*ym)
    return out


def due_date(council: Organisation | None, year: int, month: int) -> dt.date | None:
    """The council's meeting (定例会) in the month after: the record is due before it."""
    if council is None or not council.meeting_day:
        return None
    y, m = (year + 1, 1) if month == 12 else (year, month + 1)

    return dt.date(y, m, min(council.meeting_day, calendar.monthrange(y, m)[1]))


async def commissioner_month(session: AsyncSession, *, actor: User, scope: Scope, year: int, month: int) -> dict:
    scope.require("commissioner")
    service.check_period(year, month)
    row = (await session.scalars(select(ActivityMonth).where(
        ActivityMonth.commissioner_id == actor.id, ActivityMonth.year == year, ActivityMonth.month == month))).first()
    live = (await queries.live_figures(session, [actor.id], year, month, {actor.id: row} if row else {}))[actor.id]
    submitted = row is not None and row.status == "submitted"
    figures = c.normalised(row.figures) if submitted else live
    adjustments = list((await session.scalars(select(Adjustment).where(Adjustment.month_id == row.id)
                                              .order_by(Adjustment.id))).all()) if row else []
    history = list((await session.scalars(select(Submission).where(Submission.month_id == row.id)
                                          .order_by(Submission.id))).all()) if row else []
    reminders = list((await session.scalars(select(Reminder).where(
        Reminder.commissioner_id == actor.id, Reminder.year == year, Reminder.month == month)
        .order_by(Reminder.sent_at.desc()))).all()) if not submitted else []
    grant = await queries.council_of(session, actor.id, service.utcnow())
    council = await session.get(Organisation, grant.organisation_id) if grant and grant.organisation_id else None
    rules = await watch_settings(session, actor.municipality_id) if actor.municipality_id else None
    return {"year": year, "month": month, "figures": figures, "row": row, "submitted": submitted,
            "adjustments": adjustments, "history": history, "reminders": reminders, "council": council,
            "due": due_date(council, year, month), "ended": service.ended(year, month), "rules": rules,
            "months": recent_months(), "period": f"{year}-{month:02d}"}


async def months_status(session: AsyncSession, *, actor: User) -> dict[tuple[int, int], str]:
    rows = (await session.execute(select(ActivityMonth.year, ActivityMonth.month, ActivityMonth.status).where(
        ActivityMonth.commissioner_id == actor.id))).all()
    return {(y, m): s for y, m, s in rows}


ENTRY_ITEMS = set(c.KEYS) | {"consult"}


def _month_span(year: int, month: int) -> tuple[dt.datetime, dt.datetime, dt.date, dt.date]:
    start, end = clock.month_bounds(year, month)
    return start, end, dt.date(year, month, 1), (end.astimezone(TOKYO) - dt.timedelta(days=1)).date()


async def entered_for(session: AsyncSession, actor_id: int, commissioner_id: int, year: int, month: int) -> bool:
    """Whether `actor_id` entered figures of that commissioner's month on their behalf: a contact or
    an activity entry dated in it (代理入力 by a coordinator), or an adjustment to it (the chair's
    代理入力 of a paper booklet). Only these people, and the commissioner, see the entries behind
    that month's figures."""
    if actor_id == commissioner_id:
        return False
    start, end, first, last = _month_span(year, month)
    hit = await session.scalar(select(Contact.id).where(
        Contact.owner_id == commissioner_id, Contact.author_id == actor_id, Contact.on_behalf_of_id == commissioner_id,
        Contact.occurred_at >= start, Contact.occurred_at < end).limit(1))
    if hit is None:
        hit = await session.scalar(select(Activity.id).where(
            Activity.owner_id == commissioner_id, Activity.author_id == actor_id,
            Activity.on_behalf_of_id == commissioner_id, Activity.occurred_on >= first,
            Activity.occurred_on <= last).limit(1))
    if hit is None:
        hit = await session.scalar(select(Adjustment.id).join(ActivityMonth, ActivityMonth.id == Adjustment.month_id)
                                   .where(ActivityMonth.commissioner_id == commissioner_id, ActivityMonth.year == year,
                                          ActivityMonth.month == month, Adjustment.author_id == actor_id).limit(1))
    return hit is not None


async def entered_for_whom(session: AsyncSession, actor_id: int, year: int, month: int) -> list[tuple[int, str]]:
    """(commissioner id, name) of everyone whose month the actor entered figures for."""
    start, end, first, last = _month_span(year, month)
    ids = set((await session.scalars(select(Contact.owner_id).where(
        Contact.author_id == actor_id, Contact.on_behalf_of_id.is_not(None), Contact.owner_id != actor_id,
        Contact.occurred_at >= start, Contact.occurred_at < end).distinct())).all())
    ids |= set((await session.scalars(select(Activity.owner_id).where(
        Activity.author_id == actor_id, Activity.on_behalf_of_id.is_not(None), Activity.owner_id != actor_id,
        Activity.occurred_on >= first, Activity.occurred_on <= last).distinct())).all())
    ids |= set((await session.scalars(select(ActivityMonth.commissioner_id).join(
        Adjustment, Adjustment.month_id == ActivityMonth.id).where(
        Adjustment.author_id == actor_id, ActivityMonth.commissioner_id != actor_id, ActivityMonth.year == year,
        ActivityMonth.month == month).distinct())).all())
    if not ids:
        return []
    return [(i, name) for i, name in (await session.execute(select(User.id, User.display_name).where(
        User.id.in_(ids)).order_by(User.display_name, User.id))).all()]


def _adjusts(a: Adjustment, item: str) -> bool:
    if item == "consult":
        return a.item in c.FIELD_KEYS
    return a.item == item or a.content == item


async def entries(session: AsyncSession, *, actor: User, scope: Scope, year: int, month: int, item: str,
                  commissioner_id: int | None) -> dict:
    """The entries behind one figure (contacts, activity entries, adjustments): for the commissioner
    (all of their own), or for whoever entered figures of that month on the commissioner's behalf
    (only what they entered). Anybody else: 404. Audited with the household ids."""
    service.check_period(year, month)
    if item not in ENTRY_ITEMS:
        item = "visits"
    owner = commissioner_id or actor.id
    if owner == actor.id and "commissioner" not in scope.roles:
        # Nobody named, and no commissioner: what the actor entered on anyone's behalf.
        mine = (Contact.author_id == actor.id) & Contact.on_behalf_of_id.is_not(None)
        mine_a = (Activity.author_id == actor.id) & Activity.on_behalf_of_id.is_not(None)
        mine_adj = (Adjustment.author_id == actor.id) & (ActivityMonth.commissioner_id != actor.id)
        owner = None
    elif owner == actor.id:
        mine = Contact.owner_id == actor.id
        mine_a = Activity.owner_id == actor.id
        mine_adj = ActivityMonth.commissioner_id == actor.id
    else:
        if not await entered_for(session, actor.id, owner, year, month):
            raise NotFound()  # they entered nothing for that month: do not confirm anything exists
        mine = (Contact.owner_id == owner) & (Contact.author_id == actor.id)
        mine_a = (Activity.owner_id == owner) & (Activity.author_id == actor.id)
        mine_adj = (ActivityMonth.commissioner_id == owner) & (Adjustment.author_id == actor.id)
    start, end, first, last = _month_span(year, month)
    contacts: list = []
    activities: list = []
    if not item.startswith("other:"):
        q = select(Contact, Household.address).join(Household, Household.id == Contact.household_id).where(
            mine, Contact.owner_role == "commissioner", Contact.occurred_at >= start, Contact.occurred_at < end,
            Contact.superseded_at.is_(None), Contact.withdrawn_at.is_(None))
        if item == "visits":
            q = q.where(Contact.counts_as_visit.is_(True))
        elif item != "days":
            kind, _, code = item.partition(":")
            sub = select(ActivityItem.contact_id)
            if kind in ("field", "consult"):
                sub = sub.where(ActivityItem.kind == "consult", *([ActivityItem.field == code] if code else []))
            elif kind == "content":
                sub = sub.where(ActivityItem.kind == "consult", ActivityItem.content == code)
            else:
                sub = sub.where(ActivityItem.kind == "liaison", ActivityItem.liaison_with == code)
            q = q.where(Contact.id.in_(sub))
        contacts = list((await session.execute(q.order_by(Contact.occurred_at).limit(500))).all())
    if item == "days" or item.startswith("other:"):
        qa = select(Activity).where(mine_a, Activity.occurred_on >= first, Activity.occurred_on <= last,
                                    Activity.withdrawn_at.is_(None))
        if item.startswith("other:"):
            qa = qa.where(Activity.kind == item.partition(":")[2])
        activities = list((await session.scalars(qa.order_by(Activity.occurred_on))).all())
    adjustments = [a for a in (await session.scalars(select(Adjustment).join(
        ActivityMonth, ActivityMonth.id == Adjustment.month_id).where(
        mine_adj, ActivityMonth.year == year, ActivityMonth.month == month).order_by(Adjustment.id))).all()
        if _adjusts(a, item)]
    month_row = None
    if owner is not None:
        month_row = (await session.scalars(select(ActivityMonth).where(
            ActivityMonth.commissioner_id == owner, ActivityMonth.year == year, ActivityMonth.month == month))).first()
    municipality_id = month_row.municipality_id if month_row and month_row.municipality_id else actor.municipality_id
    await record(session, action="activity_record.entries_viewed", actor_id=actor.id, municipality_id=municipality_id,
                 object_type="households", ids=sorted({ct.household_id for ct, _a in contacts}) or None,
                 on_behalf_of_id=owner if owner not in (None, actor.id) else None)
    return {"year": year, "month": month, "item": item, "contacts": contacts, "activities": activities,
            "adjustments": adjustments, "owner": owner, "period": f"{year}-{month:02d}"}


async def behalf_page(session: AsyncSession, *, actor: User, year: int, month: int,
                      commissioner_id: int | None) -> dict:
    """The month of a commissioner the actor entered figures for (the chair's paper booklet, a
    coordinator's entries): its figures, each linking to the entries behind it. Without a
    commissioner named: everyone the actor entered for in that month. Nobody else's month: 404."""
    service.check_period(year, month)
    ctx = {"year": year, "month": month, "period": f"{year}-{month:02d}", "months": recent_months()}
    if commissioner_id is None:
        return {**ctx, "whom": await entered_for_whom(session, actor.id, year, month), "commissioner": None}
    if not await entered_for(session, actor.id, commissioner_id, year, month):
        raise NotFound()
    commissioner = await session.get(User, commissioner_id)
    row = (await session.scalars(select(ActivityMonth).where(
        ActivityMonth.commissioner_id == commissioner_id, ActivityMonth.year == year,
        ActivityMonth.month == month))).first()
    submitted = row is not None and row.status == "submitted"
    figures = c.normalised(row.figures) if submitted else (await queries.live_figures(
        session, [commissioner_id], year, month, {commissioner_id: row} if row else {}))[commissioner_id]
    return {**ctx, "commissioner": commissioner, "row": row, "submitted": submitted, "figures": figures,
            "link": entries_link(year, month, commissioner_id)}


def entries_link(year: int, month: int, commissioner_id: int) -> str:
    return f"/activity-record/entries?month={year}-{month:02d}&of={commissioner_id}"


async def council_page(session: AsyncSession, *, scope: Scope, council_id: int | None, year: int, month: int) -> dict:
    council = await service.council_for(session, scope, council_id)
    service.check_period(year, month)
    table = await queries.council_table(session, council, [(year, month)])
    months = await queries.months_of(session, [col.unit_id for col in table.columns], year, month)
    reminded = {r.commissioner_id: r.sent_at for r in (await session.scalars(select(Reminder).where(
        Reminder.council_id == council.id, Reminder.year == year, Reminder.month == month)
        .order_by(Reminder.sent_at))).all()}
    return {"council": council, "table": table, "months": months, "reminded": reminded, "year": year,
            "month": month, "period": f"{year}-{month:02d}", "ended": service.ended(year, month),
            "due": due_date(council, year, month), "recent": recent_months(),
            "compiled": await service.latest_compilation(session, "council", council.id, year, month)}


def month_name(year: int, month: int) -> str:
    """令和8年10月 in Japanese; "2026-10 (Reiwa 8)" in English."""
    first = dt.date(year, month, 1)
    if get_locale() == "ja":
        return f"{wareki(first, 'ja')}{month}月"
    return f"{year}-{month:02d} ({wareki(first, 'en')})"


async def pending_reminder(session: AsyncSession, *, actor: User) -> Reminder | None:
    """The chair's latest reminder about last month, while last month is not submitted."""
    year, month = service.last_month()
    status = await session.scalar(select(ActivityMonth.status).where(
        ActivityMonth.commissioner_id == actor.id, ActivityMonth.year == year, ActivityMonth.month == month))
    if status == "submitted":
        return None
    return (await session.scalars(select(Reminder).where(
        Reminder.commissioner_id == actor.id, Reminder.year == year, Reminder.month == month)
        .order_by(Reminder.sent_at.desc()))).first()
