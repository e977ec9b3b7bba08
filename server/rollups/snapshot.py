"""The daily snapshot: figures that change with the clock, not with writes.

Per area at every level, for the Asia/Tokyo day it is taken:
- watch.households  households on a round (active, watch-over consented);
- watch.covered     of those, contacted within their cadence (last counted contact + cadence >= now);
- watch.overdue     overdue by more than one cadence (last contact, or registration, + 2 × cadence < now);
- watch.unseen_60d  nobody has been in contact for two months (60 days);
- concerns.open     open concerns by state; concerns.past_target: still unacknowledged after due_at;
- people.active     commissioners and volunteers who logged a contact this month (distinct people);
- salons.participants  distinct people present at a salon this month.
Taking the same day again replaces that day's rows (idempotent); `tsunagu jobs run` and the
in-process scheduler (server.rollups.jobs) call take_snapshot.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from sqlalchemy import and_, case, delete, func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.clock import month_bounds
from server.concerns.models import Concern
from server.contacts.models import Contact
from server.db import utcnow
from server.households.models import Household
from server.i18n import TOKYO
from server.rollups.areas import ancestor_map
from server.rollups.models import RollupSnapshot
from server.salons.models import Attendance, Salon, SalonSession

OPEN = ("new", "acknowledged", "in_progress")


async def _households(session: AsyncSession, now: dt.datetime) -> dict[int, Counter]:
    seen = func.coalesce(Household.last_contact_at, Household.created_at)
    on_round = and_(Household.status == "active", Household.watch_ok.is_(True))
    dialect = session.bind.dialect.name
    if dialect == "sqlite":
        # Datetimes are stored as naive UTC text in SQLite: compare in Julian days.
        days_since = func.julianday(literal(now.replace(tzinfo=None))) - func.julianday(seen)
    else:
        days_since = func.extract("epoch", literal(now) - seen) / 86400.0
    rows = (await session.execute(select(
        Household.area_id, func.count(),
        func.sum(case((days_since <= Household.cadence_days, 1), else_=0)),
        func.sum(case((days_since > 2 * Household.cadence_days, 1), else_=0)),
        func.sum(case((days_since > 60, 1), else_=0)),
    ).where(on_round).group_by(Household.area_id))).all()
    out: dict[int, Counter] = defaultdict(Counter)
    for area_id, total, covered, overdue, unseen in rows:
        out[area_id].update({("watch.households", "all"): total, ("watch.covered", "all"): covered or 0,
                             ("watch.overdue", "all"): overdue or 0, ("watch.unseen_60d", "all"): unseen or 0})
    return out


async def _concerns(session: AsyncSession, now: dt.datetime, out: dict[int, Counter]) -> None:
    past_due = func.sum(case((and_(Concern.state == "new", Concern.due_at < now), 1), else_=0))
    for area_id, state, urgency, n, past in (await session.execute(select(
            Concern.area_id, Concern.state, Concern.urgency, func.count(), past_due)
            .where(Concern.state.in_(OPEN)).group_by(Concern.area_id, Concern.state, Concern.urgency))).all():
        out[area_id][("concerns.open", state)] += n
        if past:
            out[area_id][("concerns.past_target", urgency)] += past


async def _distinct(session: AsyncSession, anc: dict, rows, measure: str, out: dict[int, Counter]) -> None:
    """Distinct people per area at every level (a person active in two districts counts once above them)."""
    sets: dict[tuple[int, str], set] = defaultdict(set)
    for area_id, who, dim in rows:
        for up in anc.get(area_id, (area_id,)):
            sets[(up, dim)].add(who)
    for (area_id, dim), people in sets.items():
        out[area_id][(measure, dim)] += len(people)


async def take_snapshot(session: AsyncSession, *, now: dt.datetime | None = None) -> int:
    """Replaces the rows of today's (Asia/Tokyo) snapshot; returns how many rows were written."""
    now = now or utcnow()
    day = now.astimezone(TOKYO).date()
    start, _end = month_bounds(day.year, day.month)
    anc = await ancestor_map(session)
    per_area = await _households(session, now)
    await _concerns(session, now, per_area)
    out: dict[int, Counter] = defaultdict(Counter)
    for area_id, keys in per_area.items():
        for up in anc.get(area_id, (area_id,)):
            out[up].update(keys)
    active = (await session.execute(select(Household.area_id, Contact.owner_id, Contact.owner_role).distinct()
                                    .join(Household, Household.id == Contact.household_id)
                                    .where(Contact.occurred_at >= start, Contact.occurred_at <= now,
                                           Contact.withdrawn_at.is_(None), Contact.superseded_at.is_(None),
                                           Contact.owner_role.in_(("commissioner", "volunteer"))))).all()
    await _distinct(session, anc, active, "people.active", out)
    present = (await session.execute(select(Salon.area_id, Attendance.person_id, literal("all")).distinct()
                                     .join(SalonSession, SalonSession.id == Attendance.session_id)
                                     .join(Salon, Salon.id == SalonSession.salon_id)
                                     .where(Attendance.status == "present", SalonSession.starts_at >= start,
                                            SalonSession.starts_at <= now))).all()
    await _distinct(session, anc, present, "salons.participants", out)
    await session.execute(delete(RollupSnapshot).where(RollupSnapshot.day == day))
    rows = [{"area_id": a, "day": day, "measure": m, "dim": d, "n": n}
            for a, keys in out.items() for (m, d), n in keys.items()]
    for i in range(0, len(rows), 5000):
        await session.execute(insert(RollupSnapshot), rows[i:i + 5000])
    return len(rows)
