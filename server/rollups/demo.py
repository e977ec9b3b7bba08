"""Demo seeding's last step: the demo data was made through the services (some of it back-dated
afterwards), so the rollups are rebuilt from the raw rows and today's snapshot is taken."""
from __future__ import annotations

import random

from sqlalchemy.ext.asyncio import AsyncSession

from server.rollups.rebuild import rebuild
from server.rollups.snapshot import take_snapshot


async def seed_rollups(session: AsyncSession, town, rng: random.Random) -> None:  # noqa: ANN001
    await session.flush()
    await rebuild(session)
    await take_snapshot(session)
