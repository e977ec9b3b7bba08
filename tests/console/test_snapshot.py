"""The daily snapshot: coverage and overdue per area at every level, idempotent per day."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from server.areas.models import Area
from server.contacts.models import Contact
from server.demo.seed import seed_demo
from server.households.models import Household
from server.rollups.jobs import run_jobs
from server.rollups.models import RollupSnapshot
from server.rollups.snapshot import take_snapshot


async def figures(db, day) -> dict:
    rows = (await db.execute(select(RollupSnapshot.area_id, RollupSnapshot.measure, RollupSnapshot.dim,
                                    RollupSnapshot.n).where(RollupSnapshot.day == day))).all()
    return {(a, m, d): n for a, m, d, n in rows}


@pytest.mark.calendar
async def test_snapshot_counts_coverage_and_overdue_from_the_households(db):
    assert await seed_demo(db, if_empty=True)
    await db.commit()
    now = dt.datetime.now(dt.UTC)
    await take_snapshot(db, now=now)
    await db.commit()
    day = now.astimezone(dt.timezone(dt.timedelta(hours=9))).date()
    got = await figures(db, day)
    city = (await db.scalars(select(Area).where(Area.level == "municipality"))).one()
    on_round = (await db.scalars(select(Household).where(Household.status == "active",
                                                         Household.watch_ok.is_(True)))).all()

    def since(h):
        return (now - (h.last_contact_at or h.created_at)).total_seconds() / 86400

    assert got[(city.id, "watch.households", "all")] == len(on_round) > 0
    assert got[(city.id, "watch.covered", "all")] == sum(since(h) <= h.cadence_days for h in on_round)
    assert got[(city.id, "watch.overdue", "all")] == sum(since(h) > 2 * h.cadence_days for h in on_round)
    assert got[(city.id, "watch.unseen_60d", "all")] == sum(since(h) > 60 for h in on_round)
    # Every level: the prefecture equals the city (one municipality), a neighbourhood its own households.
    assert got[(city.prefecture_id, "watch.households", "all")] == len(on_round)
    hood = on_round[0].area_id
    assert got[(hood, "watch.households", "all")] == sum(h.area_id == hood for h in on_round)
    # Active people are those who logged a contact this month: none yet in the first minutes of a month.
    month_start = dt.datetime.combine(day.replace(day=1), dt.time(0), tzinfo=dt.timezone(dt.timedelta(hours=9)))
    active = set((await db.execute(select(Contact.owner_id).where(
        Contact.occurred_at >= month_start, Contact.occurred_at <= now, Contact.owner_role == "commissioner",
        Contact.withdrawn_at.is_(None), Contact.superseded_at.is_(None)))).scalars())
    assert got.get((city.id, "people.active", "commissioner"), 0) == len(active)
    if day.day > 3:
        assert active  # the demo's commissioners have logged visits in the last few days


async def test_taking_the_same_day_twice_replaces_it(db):
    assert await seed_demo(db, if_empty=True)
    await db.commit()
    first = await run_jobs(db)
    await db.commit()
    second = await run_jobs(db)
    await db.commit()
    assert first == second and first["snapshot_rows"] > 0
    assert await db.scalar(select(func.count()).select_from(RollupSnapshot)) == first["snapshot_rows"]


async def test_the_scheduled_run_also_warms_the_published_cubes(db):
    from server.console import data
    from server.console.figures import MEASURES

    assert await seed_demo(db, if_empty=True)
    await db.commit()
    data.clear_cache()
    result = await run_jobs(db, warm=True)
    await db.commit()
    assert result["published_cubes"] == len(MEASURES)
    assert len(data._CUBES) == len(MEASURES)
