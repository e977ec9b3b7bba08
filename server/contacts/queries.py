"""Read side of watch-over: the round, a household's timeline, the month's five blocks.

Every function that returns residents takes the scope and reads through the scope gate; the
handler writes the one audit row listing the ids shown.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.assignments.models import Assignment
from server.contacts.models import CONTENTS, FIELDS, OTHER_ACTIVITIES, Activity, ActivityItem, Contact, Revisit
from server.contacts.service import tokyo_bounds
from server.db import utcnow
from server.households.models import Household, Person
from server.i18n import TOKYO
from server.scope import Scope


@dataclass
class RoundEntry:
    household: Household  # or a row with id, address, address_norm, last_contact_at, cadence_days
    members: list[Person]
    due_on: dt.date | None
    overdue_days: int
    revisits: list[Revisit] = field(default_factory=list)

    @property
    def never_visited(self) -> bool:
        return self.household.last_contact_at is None


def due_on(household) -> dt.date | None:  # noqa: ANN001 - a Household or a row with the same columns
    if household.last_contact_at is None:
        return None
    return household.last_contact_at.astimezone(TOKYO).date() + dt.timedelta(days=household.cadence_days)


PER_PAGE = 50


async def round_for(session: AsyncSession, scope: Scope, *, limit: int | None = None,
                    only: int | None = None) -> list[RoundEntry]:
    """The person's assigned households, active and consenting, most overdue first."""
    entries, _total = await round_page(session, scope, offset=0, limit=limit, only=only)
    return entries


async def round_page(session: AsyncSession, scope: Scope, *, offset: int = 0, limit: int | None = PER_PAGE,
                     only: int | None = None) -> tuple[list[RoundEntry], int]:
    """One page of the round and the round's size.

    Never-visited households come first; then by days past due (a revisit due today or earlier
    counts as due today). Three queries whatever the size of the round; members are read only
    for the households on the page.
    """
    now = utcnow()
    today = now.astimezone(TOKYO).date()
    # Only the columns a card needs (a round can hold 440 households): plain rows, no ORM objects.
    mine = select(Assignment.household_id).where(
        Assignment.user_id == scope.user_id, Assignment.valid_from <= now,
        or_(Assignment.valid_to.is_(None), Assignment.valid_to > now))
    households = (await session.execute(
        select(Household.id, Household.address, Household.address_norm, Household.last_contact_at,
               Household.cadence_days).where(
            Household.id.in_(mine), Household.status == "active", Household.watch_ok.is_(True),
            *([Household.id == only] if only is not None else [])))).all()
    if not households:
        return [], 0
    ids = [h.id for h in households]
    revisits: dict[int, list[Revisit]] = defaultdict(list)
    for r in (await session.scalars(select(Revisit).where(Revisit.household_id.in_(ids), Revisit.closed_at.is_(None))
                                    .order_by(Revisit.due_on))).all():
        revisits[r.household_id].append(r)
    entries = []
    for h in households:
        due = due_on(h)
        overdue = 10_000 if due is None else (today - due).days
        for r in revisits.get(h.id, []):
            if r.due_on <= today:
                overdue = max(overdue, 0)
        entries.append(RoundEntry(h, [], due, overdue, revisits.get(h.id, [])))
    entries.sort(key=lambda e: (-e.overdue_days, e.household.address_norm, e.household.id))
    shown = entries[offset:offset + limit] if limit else entries[offset:]
    members: dict[int, list[Person]] = defaultdict(list)
    for p in (await session.scalars(select(Person).where(
            Person.household_id.in_([e.household.id for e in shown]), Person.watch_ok.is_(True))
            .order_by(Person.kana_norm, Person.id))).all():
        members[p.household_id].append(p)
    for e in shown:
        e.members = members.get(e.household.id, [])
    return shown, len(entries)


async def timeline(session: AsyncSession, household_id: int, limit: int = 50) -> list[Contact]:
    """Newest first; corrected and withdrawn entries stay (shown as such)."""
    return list((await session.scalars(select(Contact).where(Contact.household_id == household_id)
                                       .order_by(Contact.occurred_at.desc(), Contact.id.desc()).limit(limit))).all())


async def open_revisits(session: AsyncSession, household_id: int) -> list[Revisit]:
    return list((await session.scalars(select(Revisit).where(Revisit.household_id == household_id,
                                                             Revisit.closed_at.is_(None)))).all())


@dataclass
class MonthBlocks:
    year: int
    month: int
    consult_total: int = 0
    by_field: dict[str, int] = field(default_factory=dict)
    by_content: dict[str, int] = field(default_factory=dict)
    other: dict[str, int] = field(default_factory=dict)
    other_total: int = 0
    visits: int = 0
    liaison: int = 0
    liaison_by: dict[str, int] = field(default_factory=dict)
    days: int = 0


async def month_blocks(session: AsyncSession, owner_id: int, year: int, month: int) -> MonthBlocks:
    """The five blocks of the activity record for one commissioner and one Tokyo month, live."""
    start, end = tokyo_bounds(year, month)
    blocks = MonthBlocks(year, month)
    contacts = (await session.execute(select(Contact.id, Contact.occurred_at, Contact.counts_as_visit).where(
        Contact.owner_id == owner_id, Contact.owner_role == "commissioner", Contact.occurred_at >= start,
        Contact.occurred_at < end, Contact.superseded_at.is_(None), Contact.withdrawn_at.is_(None)))).all()
    days = {c.occurred_at.astimezone(TOKYO).date() for c in contacts}
    blocks.visits = sum(1 for c in contacts if c.counts_as_visit)
    ids = [c.id for c in contacts]
    by_field: Counter = Counter()
    by_content: Counter = Counter()
    liaison: Counter = Counter()
    if ids:
        for item in (await session.scalars(select(ActivityItem).where(ActivityItem.contact_id.in_(ids)))).all():
            if item.kind == "consult":
                by_field[item.field] += 1
                by_content[item.content] += 1
            else:
                liaison[item.liaison_with] += 1
    first, last = dt.date(year, month, 1), (end.astimezone(TOKYO) - dt.timedelta(days=1)).date()
    other: Counter = Counter()
    for kind, on in (await session.execute(select(Activity.kind, Activity.occurred_on).where(
            Activity.owner_id == owner_id, Activity.occurred_on >= first, Activity.occurred_on <= last,
            Activity.withdrawn_at.is_(None)))).all():
        days.add(on)
        if kind != "day":
            other[kind] += 1
    blocks.by_field = {f: by_field.get(f, 0) for f in FIELDS}
    blocks.by_content = {c: by_content.get(c, 0) for c in CONTENTS}
    blocks.consult_total = sum(by_field.values())
    blocks.other = {k: other.get(k, 0) for k in OTHER_ACTIVITIES}
    blocks.other_total = sum(other.values())
    blocks.liaison = sum(liaison.values())
    blocks.liaison_by = dict(liaison)
    blocks.days = len(days)
    return blocks
