"""Demo data for the activity record: three months of realistic activity for the demo town's
commissioners, so a newcomer opens last month and finds it already tallied.

Rates per commissioner and month follow domain.md (about 12-14 visits, 2 consultations coded by
the FY2015 national shares, 10 other activities). The two older months are submitted (snapshots
as the commissioners would have made them); last month is open for the 民生委員 persona, the chair
and one member, submitted by the others, so the chair sees who is missing.

Bulk inserts (a handful of statements in all), no audit rows: nobody real did anything. Runs
after server.households.demo (it needs the households and assignments).
"""
from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import func, insert, select, update

from server import clock
from server.activity import compile as c
from server.activity import queries
from server.activity.models import ActivityMonth, Submission
from server.assignments.models import Assignment
from server.contacts.models import Activity, ActivityItem, Contact
from server.db import utcnow
from server.households.models import Household
from server.i18n import TOKYO
from server.users.models import RoleGrant

# FY2015 national shares (per 100) of 内容 and 分野.
CONTENT_WEIGHTS = {"daily_support": 25, "other": 25, "child_community": 9, "home_welfare": 8, "health": 7,
                   "child_school": 6, "environment": 4, "care_insurance": 3, "child_rearing": 3, "family": 3,
                   "living_costs": 2, "pension": 2, "work": 2, "housing": 1}
FIELD_WEIGHTS = {"elderly": 56, "children": 21, "disability": 5, "other": 18}
METHOD_WEIGHTS = {"visit": 60, "visit_absent": 12, "exterior": 10, "phone": 15, "greeting": 3}
OTHER_WEIGHTS = {"council": 30, "events": 30, "community": 22, "survey": 12, "certificates": 4, "child_report": 2}


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _months(today: dt.date) -> list[tuple[int, int]]:
    last = c.previous(today.year, today.month)
    return [c.previous(*c.previous(*last)), c.previous(*last), last]


async def seed_activity(session, town, rng: random.Random) -> None:
    today = utcnow().astimezone(TOKYO).date()
    months = _months(today)
    commissioners = [town.people["民生委員"], town.people["民児協会長"], town.people["主任児童委員"], *town.members]
    commissioners = list({u.id: u for u in commissioners}.values())
    ids = [u.id for u in commissioners]
    # The demo town's commissioners have served for years: their commissioner grants start before
    # the seeded months (a month lists only commissioners whose grant overlapped it).
    served_since = clock.month_bounds(*c.previous(*months[0]))[0]
    await session.execute(update(RoleGrant).where(RoleGrant.user_id.in_(ids), RoleGrant.role == "commissioner",
                                                  RoleGrant.valid_from > served_since).values(valid_from=served_since))
    homes: dict[int, list[tuple[int, int]]] = {i: [] for i in ids}
    for user_id, household_id, municipality_id in (await session.execute(
            select(Assignment.user_id, Household.id, Household.municipality_id)
            .join(Household, Household.id == Assignment.household_id)
            .where(Assignment.user_id.in_(ids), Assignment.role == "commissioner", Assignment.valid_to.is_(None),
                   Household.watch_ok.is_(True), Household.last_contact_at.is_not(None)))).all():
        homes[user_id].append((household_id, municipality_id))
    contacts: list[dict] = []
    coded: list[tuple[str, list[tuple[str, str]], list[str]]] = []  # (client id, consults, liaisons)
    activities: list[dict] = []
    for n_month, (year, month) in enumerate(months):
        last_day = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
        latest = last_day if (year, month) != (today.year, today.month) else today.day
        for user in commissioners:
            mine = homes[user.id]
            # Last month already holds the watch-over demo's contacts: fewer here.
            count = rng.randint(6, 9) if n_month == 2 else rng.randint(12, 16)
            for k in range(count if mine else 0):
                household_id, municipality_id = rng.choice(mine)
                when = dt.datetime(year, month, rng.randint(1, latest), rng.randint(9, 17), rng.choice((0, 15, 30, 45)),
                                   tzinfo=TOKYO).astimezone(dt.UTC)
                method = _pick(rng, METHOD_WEIGHTS)
                client_id = f"demo-act-{year}{month:02d}-{user.id}-{k}"
                contacts.append(dict(
                    municipality_id=municipality_id, household_id=household_id, author_id=user.id, owner_id=user.id,
                    owner_role="commissioner", client_id=client_id, method=method, outcome="no_change", signs=[],
                    occurred_at=when, met_person_ids=[], counts_as_visit=method in ("visit", "visit_absent", "exterior"),
                    counts_for_cadence=True, created_at=when))
                consults = [(_pick(rng, FIELD_WEIGHTS), _pick(rng, CONTENT_WEIGHTS))] if rng.random() < 0.15 else []
                liaisons = [rng.choice(("commissioners", "agency"))] if rng.random() < 0.12 else []
                if consults or liaisons:
                    coded.append((client_id, user.id, consults, liaisons))
            for k in range(rng.randint(7, 12)):
                day = dt.date(year, month, rng.randint(1, latest))
                activities.append(dict(municipality_id=user.municipality_id, author_id=user.id, owner_id=user.id,
                                       client_id=f"demo-act-{year}{month:02d}-{user.id}-a{k}",
                                       kind=_pick(rng, OTHER_WEIGHTS) if k else "day", occurred_on=day,
                                       created_at=dt.datetime.combine(day, dt.time(12), tzinfo=TOKYO)))
    if contacts:
        await session.execute(insert(Contact), contacts)
    if activities:
        await session.execute(insert(Activity), activities)
    if coded:
        found = dict((await session.execute(select(Contact.client_id, Contact.id).where(
            Contact.client_id.like("demo-act-%"), Contact.owner_id.in_(ids)))).all())
        items = []
        for client_id, _user, consults, liaisons in coded:
            for field, content in consults:
                items.append(dict(contact_id=found[client_id], kind="consult", field=field, content=content))
            for who in liaisons:
                items.append(dict(contact_id=found[client_id], kind="liaison", liaison_with=who))
        await session.execute(insert(ActivityItem), items)
    # Keep the round true to the contacts: each household's latest contact.
    latest = select(func.max(Contact.occurred_at)).where(
        Contact.household_id == Household.id, Contact.superseded_at.is_(None), Contact.withdrawn_at.is_(None),
        Contact.counts_for_cadence.is_(True)).scalar_subquery()
    touched = sorted({row["household_id"] for row in contacts})
    if touched:
        await session.execute(update(Household).where(Household.id.in_(touched)).values(last_contact_at=latest))
    await _submissions(session, town, commissioners, months)


async def _submissions(session, town, commissioners, months) -> None:
    """The two older months submitted by everyone; last month by all but the persona, the chair and one member."""
    open_last = {town.people["民生委員"].id, town.people["民児協会長"].id, town.members[0].id}
    grants = {}
    for u in commissioners:
        grants[u.id] = await queries.council_of(session, u.id, utcnow())
    ids = [u.id for u in commissioners]
    rows, subs = [], []
    for year, month in months:
        figures = await queries.live_figures(session, ids, year, month, {})
        _start, end = clock.month_bounds(year, month)
        for u in commissioners:
            if (year, month) == months[-1] and u.id in open_last:
                continue
            at = end + dt.timedelta(days=2, hours=1)
            g = grants[u.id]
            rows.append(dict(commissioner_id=u.id, municipality_id=g.municipality_id if g else u.municipality_id,
                             council_id=g.organisation_id if g else None, year=year, month=month, status="submitted",
                             submitted_at=at, submitted_by=u.id, proxy=False, figures=figures[u.id], created_at=at))
    if not rows:
        return
    await session.execute(insert(ActivityMonth), rows)
    made = (await session.execute(select(ActivityMonth.id, ActivityMonth.figures, ActivityMonth.submitted_at,
                                         ActivityMonth.commissioner_id).where(
        ActivityMonth.commissioner_id.in_(ids), ActivityMonth.status == "submitted"))).all()
    for month_id, figures, at, who in made:
        subs.append(dict(month_id=month_id, figures=figures, submitted_at=at, submitted_by=who, proxy=False))
    await session.execute(insert(Submission), subs)
