"""Demo seeding's last step. The demo data was made through the services (some of it back-dated
afterwards), so the rollups are rebuilt from the raw rows and today's snapshot is taken.

So the console has something to answer in the demo ("which neighbourhoods have households nobody has
visited in two months, and which concerns are past their target?"), a few never-visited households
are dated as registered three months ago and two unacknowledged concerns as raised eight days ago.
"""
from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.concerns.models import Concern
from server.concerns.targets import compute_due
from server.db import utcnow
from server.households.models import Household
from server.rollups.rebuild import rebuild
from server.rollups.snapshot import take_snapshot


async def seed_rollups(session: AsyncSession, town, rng: random.Random) -> None:
    await session.flush()
    now = utcnow()
    never = (await session.scalars(select(Household).where(
        Household.last_contact_at.is_(None), Household.status == "active", Household.watch_ok.is_(True))
        .order_by(Household.id))).all()
    for h in never[::7][:5]:
        h.created_at = now - dt.timedelta(days=90)
    waiting = (await session.scalars(select(Concern).where(Concern.state == "new").order_by(Concern.id))).all()
    for c in waiting[:2]:
        # Three weeks back and the target counted again from there: past it on any day of the year,
        # even after the New Year closure (a target counts working days, not calendar days).
        c.created_at, c.arrived_at = (x - dt.timedelta(days=21) for x in (c.created_at, c.arrived_at))
        c.due_at = await compute_due(session, c.municipality_id, c.urgency, c.arrived_at)
    await session.flush()
    await rebuild(session)
    await take_snapshot(session)
