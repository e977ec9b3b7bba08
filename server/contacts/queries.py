"""Read side of watch-over: the round, a household's timeline, the month's five blocks.

Every function that returns residents takes the scope and reads through the scope gate; the
handler writes the one audit row listing the ids shown.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from server.activity import compile as counting
from server.activity.queries import logged_rows
from server.assignments.models import Assignment
from server.concerns.models import Concern
from server.contacts.models import CONTENTS, FIELDS, OTHER_ACTIVITIES, ActivityItem, Contact, Revisit
from server.db import utcnow
from server.households.models import Household, Person
from server.i18n import TOKYO
from server.scope import Scope
from server.users.models import User


@dataclass
class RoundEntry:
    household: Household  # or a row with id, address, address_norm, last_contact_at, cadence_days
    members: list[Person]
    due_on: dt.date | None
    overdue_days: int
    revisits: list[Revisit] = field(default_factory=list)
    # Signs other domains put on the card (salons: サロンに来なくなった); see ROUND_SIGNS.
    signs: list = field(default_factory=list)

    @property
    def never_visited(self) -> bool:
        return self.household.last_contact_at is None


def due_on(household) -> dt.date | None:  # a Household or a row with the same columns
    if household.last_contact_at is None:
        return None
    return household.last_contact_at.astimezone(TOKYO).date() + dt.timedelta(days=household.cadence_days)


PER_PAGE = 50

# Other domains add watch-over signs to round cards without this module knowing them: each
# provider is `async fn(session, scope, household_ids, today) -> {household_id: [sign]}`; a sign
# has `.template` (rendered in the card) and `.due_on` (a date on or before today makes the card due).
ROUND_SIGNS: list = []


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
    signs: dict[int, list] = defaultdict(list)
    for provider in ROUND_SIGNS:
        for household_id, found in (await provider(session, scope, ids, today)).items():
            signs[household_id].extend(found)
    entries = []
    for h in households:
        due = due_on(h)
        overdue = 10_000 if due is None else (today - due).days
        for r in revisits.get(h.id, []):
            if r.due_on <= today:
                overdue = max(overdue, 0)
        for s in signs.get(h.id, []):
            if s.due_on is not None and s.due_on <= today:
                overdue = max(overdue, 0)
        entries.append(RoundEntry(h, [], due, overdue, revisits.get(h.id, []), signs.get(h.id, [])))
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


async def timeline_with_details(session: AsyncSession, household_id: int, limit: int = 50
                                ) -> tuple[list[Contact], dict[int, list], dict[int, object], dict[int, object]]:
    """The household's timeline, newest first (corrected and withdrawn entries stay, shown as
    such), with each entry's activity items, the concern it raised, author and owner, in one
    query (one row per item): (contacts, items by contact, flag by contact, users by id)."""

    author, owner = aliased(User), aliased(User)
    recent = (select(Contact.id).where(Contact.household_id == household_id)
              .order_by(Contact.occurred_at.desc(), Contact.id.desc()).limit(limit))
    rows = (await session.execute(
        select(Contact, ActivityItem, Concern, author, owner)
        .outerjoin(ActivityItem, ActivityItem.contact_id == Contact.id)
        .outerjoin(Concern, Concern.contact_id == Contact.id)
        .outerjoin(author, author.id == Contact.author_id)
        .outerjoin(owner, owner.id == Contact.owner_id)
        .where(Contact.id.in_(recent))
        .order_by(Contact.occurred_at.desc(), Contact.id.desc(), ActivityItem.id))).all()
    contacts: dict[int, Contact] = {}
    items: dict[int, list] = {}
    flags: dict[int, object] = {}
    users: dict[int, object] = {}
    for contact, item, flag, a, o in rows:
        contacts.setdefault(contact.id, contact)
        if item is not None:
            items.setdefault(contact.id, []).append(item)
        if flag is not None:
            flags[contact.id] = flag
        for u in (a, o):
            if u is not None:
                users[u.id] = u
    return list(contacts.values()), items, flags, users


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
    """The five blocks of the activity record for one commissioner and one Tokyo month, live
    (what was logged; the counting itself lives in server/activity/compile.py)."""
    contacts, activities = (await logged_rows(session, [owner_id], year, month))[owner_id]
    f = counting.compile_month(contacts, activities)
    return MonthBlocks(
        year, month, consult_total=counting.consult_total(f),
        by_field={k: f[f"field:{k}"] for k in FIELDS}, by_content={k: f[f"content:{k}"] for k in CONTENTS},
        other={k: f[f"other:{k}"] for k in OTHER_ACTIVITIES}, other_total=counting.other_total(f),
        visits=f["visits"], liaison=counting.liaison_total(f),
        liaison_by={k.partition(":")[2]: f[k] for k in counting.LIAISON_KEYS if f[k]}, days=f["days"])
