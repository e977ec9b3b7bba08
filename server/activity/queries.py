"""Read side of the activity record: rows for the counting, who belongs to which council, and the
tables of each level (columns and total) the pages and the exports show.

Reads are bulk: one query each for contacts, their items, activity entries, adjustments and
months, whatever the number of commissioners, so a prefecture's table costs the same handful of
queries as one commissioner's month.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server import clock
from server.activity import compile as c
from server.activity.models import ActivityMonth, Adjustment, Compilation
from server.areas.models import Area, Organisation
from server.contacts.models import Activity, ActivityItem, Contact
from server.i18n import TOKYO
from server.users.models import RoleGrant, User

CHUNK = 500


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[i:i + CHUNK] for i in range(0, len(ids), CHUNK)] or [[]]


async def logged_rows(session: AsyncSession, owner_ids: list[int], year: int, month: int
                      ) -> dict[int, tuple[list[c.ContactRow], list[c.ActivityRow]]]:
    """Per commissioner: the month's live contacts (with their items) and activity entries."""
    start, end = clock.month_bounds(year, month)
    first = dt.date(year, month, 1)
    last = (end.astimezone(TOKYO) - dt.timedelta(days=1)).date()
    out: dict[int, tuple[list, list]] = {i: ([], []) for i in owner_ids}
    if not owner_ids:
        return out
    for ids in _chunks(sorted(owner_ids)):
        contacts = (await session.execute(select(
            Contact.id, Contact.owner_id, Contact.occurred_at, Contact.counts_as_visit).where(
            Contact.owner_id.in_(ids), Contact.owner_role == "commissioner", Contact.occurred_at >= start,
            Contact.occurred_at < end, Contact.superseded_at.is_(None), Contact.withdrawn_at.is_(None)))).all()
        consults: dict[int, list] = defaultdict(list)
        liaisons: dict[int, list] = defaultdict(list)
        if contacts:
            items = (await session.execute(select(
                ActivityItem.contact_id, ActivityItem.kind, ActivityItem.field, ActivityItem.content,
                ActivityItem.liaison_with).join(Contact, Contact.id == ActivityItem.contact_id).where(
                Contact.owner_id.in_(ids), Contact.owner_role == "commissioner", Contact.occurred_at >= start,
                Contact.occurred_at < end, Contact.superseded_at.is_(None), Contact.withdrawn_at.is_(None)))).all()
            for i in items:
                if i.kind == "consult":
                    consults[i.contact_id].append((i.field, i.content))
                else:
                    liaisons[i.contact_id].append(i.liaison_with)
        for row in contacts:
            out[row.owner_id][0].append(c.ContactRow(row.occurred_at, bool(row.counts_as_visit),
                                                     tuple(consults.get(row.id, ())), tuple(liaisons.get(row.id, ()))))
        for owner, kind, on in (await session.execute(select(Activity.owner_id, Activity.kind, Activity.occurred_on).where(
                Activity.owner_id.in_(ids), Activity.occurred_on >= first, Activity.occurred_on <= last,
                Activity.withdrawn_at.is_(None)))).all():
            out[owner][1].append(c.ActivityRow(kind, on))
    return out


async def months_of(session: AsyncSession, owner_ids: list[int], year: int, month: int) -> dict[int, ActivityMonth]:
    found = {}
    for ids in _chunks(sorted(owner_ids)):
        if ids:
            for m in (await session.scalars(select(ActivityMonth).where(
                    ActivityMonth.commissioner_id.in_(ids), ActivityMonth.year == year, ActivityMonth.month == month))).all():
                found[m.commissioner_id] = m
    return found


async def adjustments_of(session: AsyncSession, month_ids: list[int]) -> dict[int, list[Adjustment]]:
    out: dict[int, list[Adjustment]] = defaultdict(list)
    for ids in _chunks(sorted(month_ids)):
        if ids:
            for a in (await session.scalars(select(Adjustment).where(Adjustment.month_id.in_(ids))
                                            .order_by(Adjustment.id))).all():
                out[a.month_id].append(a)
    return out


def adjustment_rows(adjustments: list[Adjustment]) -> list[c.AdjustmentRow]:
    return [c.AdjustmentRow(a.item, a.delta, a.content) for a in adjustments]


async def live_figures(session: AsyncSession, owner_ids: list[int], year: int, month: int,
                       months: dict[int, ActivityMonth] | None = None) -> dict[int, dict[str, int]]:
    """Compiled from what was logged plus the adjustments, whether submitted or not."""
    rows = await logged_rows(session, owner_ids, year, month)
    months = months if months is not None else await months_of(session, owner_ids, year, month)
    adjustments = await adjustments_of(session, [m.id for m in months.values()])
    return {i: c.compile_month(rows[i][0], rows[i][1],
                               adjustment_rows(adjustments.get(months[i].id, [])) if i in months else ())
            for i in owner_ids}


async def current_figures(session: AsyncSession, owner_ids: list[int], year: int, month: int
                          ) -> tuple[dict[int, dict[str, int]], dict[int, ActivityMonth]]:
    """The figures a level counts: the snapshot of a submitted month, else the live compilation."""
    months = await months_of(session, owner_ids, year, month)
    open_ids = [i for i in owner_ids if i not in months or months[i].status != "submitted"]
    live = await live_figures(session, open_ids, year, month, months) if open_ids else {}
    out = {i: live[i] if i in live else c.normalised(months[i].figures) for i in owner_ids}
    return out, months


# --- who belongs where ---------------------------------------------------------------------------

@dataclass
class Member:
    user_id: int
    name: str
    municipality_id: int | None
    council_id: int | None


async def commissioners(session: AsyncSession, year: int, month: int, *, council_id: int | None = None,
                        municipality_ids: list[int] | None = None) -> list[Member]:
    """Commissioners whose commissioner grant overlapped the month (Asia/Tokyo): someone appointed
    after the month ended is not listed for it, nor counted as "not submitted"; one council each,
    the latest grant wins."""
    start, end = clock.month_bounds(year, month)
    q = select(RoleGrant.user_id, RoleGrant.municipality_id, RoleGrant.organisation_id, User.display_name).join(
        User, User.id == RoleGrant.user_id).where(
        RoleGrant.role == "commissioner", RoleGrant.valid_from < end,
        or_(RoleGrant.valid_to.is_(None), RoleGrant.valid_to > start)).order_by(RoleGrant.valid_from, RoleGrant.id)
    if council_id is not None:
        q = q.where(RoleGrant.organisation_id == council_id)
    if municipality_ids is not None:
        q = q.where(RoleGrant.municipality_id.in_(municipality_ids or [-1]))
    members: dict[int, Member] = {}
    for user_id, municipality_id, org_id, name in (await session.execute(q)).all():
        members[user_id] = Member(user_id, name, municipality_id, org_id)
    return sorted(members.values(), key=lambda m: (m.name, m.user_id))


async def councils_of(session: AsyncSession, municipality_ids: list[int]) -> list[Organisation]:
    return list((await session.scalars(select(Organisation).where(
        Organisation.kind == "council", Organisation.municipality_id.in_(municipality_ids or [-1]))
        .order_by(Organisation.name, Organisation.id))).all())


async def council_of(session: AsyncSession, commissioner_id: int, when: dt.datetime) -> RoleGrant | None:
    return (await session.scalars(select(RoleGrant).where(
        RoleGrant.user_id == commissioner_id, RoleGrant.role == "commissioner", RoleGrant.valid_from <= when,
        or_(RoleGrant.valid_to.is_(None), RoleGrant.valid_to > when)).order_by(RoleGrant.valid_from.desc()))).first()


# --- the tables of each level -----------------------------------------------------------------------

@dataclass
class Column:
    label: str
    figures: dict[str, int]
    unit_id: int | None = None
    submitted: int = 0   # commissioners who submitted (every month of a fiscal year counted)
    expected: int = 0
    proxy: bool = False
    compiled_at: dt.datetime | None = None  # read from the unit's compilation snapshot (prefecture level)


@dataclass
class Table:
    level: str
    name: str
    months: list[tuple[int, int]]
    columns: list[Column] = field(default_factory=list)

    @property
    def total(self) -> dict[str, int]:
        return c.add(*[col.figures for col in self.columns])


async def _member_columns(session: AsyncSession, members: list[Member], months: list[tuple[int, int]]
                          ) -> dict[int, Column]:
    cols = {m.user_id: Column(m.name, c.empty(), m.user_id) for m in members}
    ids = list(cols)
    for year, month in months:
        figures, rows = await current_figures(session, ids, year, month)
        for i in ids:
            col = cols[i]
            col.figures = c.add(col.figures, figures[i])
            col.expected += 1
            if i in rows and rows[i].status == "submitted":
                col.submitted += 1
                col.proxy = col.proxy or rows[i].proxy
    return cols


async def council_table(session: AsyncSession, council: Organisation, months: list[tuple[int, int]]) -> Table:
    """Columns per commissioner (members during the last month asked for)."""
    members = await commissioners(session, *months[-1], council_id=council.id)
    cols = await _member_columns(session, members, months)
    return Table("council", council.name, months, [cols[m.user_id] for m in members])


async def municipality_table(session: AsyncSession, municipality: Area, months: list[tuple[int, int]],
                             no_council_label: str) -> Table:
    """Columns per council, and one for commissioners who belong to no council."""
    members = await commissioners(session, *months[-1], municipality_ids=[municipality.id])
    cols = await _member_columns(session, members, months)
    table = Table("municipality", municipality.name, months)
    councils = await councils_of(session, [municipality.id])
    groups: dict[int | None, list[Member]] = defaultdict(list)
    for m in members:
        groups[m.council_id if m.council_id in {o.id for o in councils} else None].append(m)
    for unit, label in [(o.id, o.name) for o in councils] + [(None, no_council_label)]:
        group = groups.get(unit, [])
        if unit is None and not group:
            continue
        table.columns.append(Column(label, c.add(*[cols[m.user_id].figures for m in group]), unit,
                                    sum(cols[m.user_id].submitted for m in group),
                                    sum(cols[m.user_id].expected for m in group)))
    return table


def snapshot(table: Table) -> dict:
    """A level's "compilation done" snapshot: its total and its columns as they stand."""
    return {"total": table.total, "columns": [[col.unit_id, col.label, col.figures, col.submitted, col.expected]
                                              for col in table.columns]}


async def compilations(session: AsyncSession, level: str, unit_ids: list[int], year: int, month: int
                       ) -> dict[int, Compilation]:
    """The latest compilation snapshot of each unit for the month (units never compiled are absent)."""
    found: dict[int, Compilation] = {}
    for ids in _chunks(sorted(unit_ids)):
        if ids:
            for row in (await session.scalars(select(Compilation).where(
                    Compilation.level == level, Compilation.unit_id.in_(ids), Compilation.year == year,
                    Compilation.month == month).order_by(Compilation.id))).all():
                found[row.unit_id] = row
    return found


async def prefecture_table(session: AsyncSession, prefecture: Area, months: list[tuple[int, int]]) -> Table:
    """Columns per municipality of the prefecture. A municipality that marked its compilation of
    the month done is read from its latest snapshot (the figures it signed off); the others are
    compiled live from their commissioners' months."""
    cities = list((await session.scalars(select(Area).where(
        Area.parent_id == prefecture.id, Area.level == "municipality").order_by(Area.code, Area.name))).all())
    table = Table("prefecture", prefecture.name, months)
    table.columns = [Column(city.name, c.empty(), city.id) for city in cities]
    for year, month in months:
        snaps = await compilations(session, "municipality", [city.id for city in cities], year, month)
        live = [city.id for city in cities if city.id not in snaps]
        members = await commissioners(session, year, month, municipality_ids=live) if live else []
        cols = await _member_columns(session, members, [(year, month)]) if members else {}
        for col in table.columns:
            snap = snaps.get(col.unit_id)
            if snap is not None:
                col.figures = c.add(col.figures, c.normalised(snap.figures.get("total")))
                col.submitted += sum(int(x[3]) for x in snap.figures.get("columns", []))
                col.expected += sum(int(x[4]) for x in snap.figures.get("columns", []))
                col.compiled_at = snap.compiled_at
                continue
            group = [m for m in members if m.municipality_id == col.unit_id]
            col.figures = c.add(col.figures, *[cols[m.user_id].figures for m in group])
            col.submitted += sum(cols[m.user_id].submitted for m in group)
            col.expected += sum(cols[m.user_id].expected for m in group)
    return table


def sum_tables(tables: list[Table]) -> Table:
    """A fiscal year's table from its month tables: each unit's figures summed (a unit present in
    only some months counts where present), the units in the order of the latest month."""
    last = tables[-1]
    out = Table(last.level, last.name, [m for t in tables for m in t.months])
    order: list = []
    cols: dict = {}
    for t in reversed(tables):
        for col in t.columns:
            key = (col.unit_id, col.label if col.unit_id is None else "")
            if key not in cols:
                cols[key] = Column(col.label, c.empty(), col.unit_id)
                order.append(key)
            acc = cols[key]
            acc.figures = c.add(acc.figures, col.figures)
            acc.submitted += col.submitted
            acc.expected += col.expected
            acc.proxy = acc.proxy or col.proxy
    out.columns = [cols[k] for k in order]
    return out
