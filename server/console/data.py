"""Reading the rollups and snapshots for the console, exact or as a published (suppressed) cube.

Exact figures (coordinators and municipal analysts inside their own municipality) read only the
rows of the chosen area and its children: one query for the flows, two for the snapshot.
Published figures (prefecture analysts; exports marked for publication) come from one cube per
prefecture × fiscal year × measure (or × snapshot day), suppressed as a whole (server.console.suppress)
so every view of it — any area, any month or the year — shows the same hidden cells. The cube is
kept in memory and rebuilt every hour by the scheduled job (warm_published): published figures
need not be live to the second, and a prefecture's cube takes seconds to suppress.
"""
from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server import clock
from server.areas.models import Area
from server.console import suppress as sup
from server.console.figures import MEASURES
from server.console.periods import Period, fy_months, fy_of
from server.rollups.models import RollupCount, RollupSnapshot

CUBE_TTL = 2 * 3600  # the scheduled job (server.rollups.jobs) rebuilds them every hour
_CUBES: dict[tuple, tuple[float, dict]] = {}


def clear_cache() -> None:
    _CUBES.clear()


async def counts(session: AsyncSession, area_ids: list[int], months: tuple[int, ...],
                 measures: list[str] | None = None) -> dict[tuple[int, str, str, int], int]:
    """(area, measure, dim, month) -> n for the areas over the months."""
    stmt = select(RollupCount.area_id, RollupCount.measure, RollupCount.dim, RollupCount.month, RollupCount.n).where(
        RollupCount.area_id.in_(area_ids), RollupCount.month >= months[0], RollupCount.month <= months[-1])
    if measures:
        stmt = stmt.where(RollupCount.measure.in_(measures))
    return {(a, m, d, mo): n for a, m, d, mo, n in (await session.execute(stmt)).all()}


async def snapshot_day(session: AsyncSession, area_id: int, period: Period) -> dt.date | None:
    """The period's last snapshot day (None when no snapshot was taken in it)."""
    return await session.scalar(select(func.max(RollupSnapshot.day)).where(
        RollupSnapshot.area_id == area_id, RollupSnapshot.day >= period.first, RollupSnapshot.day <= period.last_day))


async def snapshot(session: AsyncSession, area_ids: list[int], day: dt.date | None) -> dict[tuple[int, str, str], int]:
    if day is None:
        return {}
    rows = (await session.execute(select(RollupSnapshot.area_id, RollupSnapshot.measure, RollupSnapshot.dim,
                                         RollupSnapshot.n).where(RollupSnapshot.area_id.in_(area_ids),
                                                                 RollupSnapshot.day == day))).all()
    return {(a, m, d): n for a, m, d, n in rows}


async def tree(session: AsyncSession, prefecture_id: int) -> dict[int, int | None]:
    """area -> parent for the prefecture and everything under it."""
    rows = (await session.execute(select(Area.id, Area.parent_id).where(
        or_(Area.id == prefecture_id, Area.prefecture_id == prefecture_id)))).all()
    return {a: (p if a != prefecture_id else None) for a, p in rows}


async def published_cube(session: AsyncSession, prefecture_id: int, key: str, *, fy: int | None = None,
                         day: dt.date | None = None) -> sup.Published:
    """The suppressed cube of one measure: (area, dim, t) -> n, or None for "<10".
    t is a month (and sup.ALL for the fiscal year) for flows, the snapshot day for levels."""
    measure = MEASURES[key]
    cache_key = (str(session.bind.url), prefecture_id, key, fy, day)
    hit = _CUBES.get(cache_key)
    if hit and time.monotonic() - hit[0] < CUBE_TTL:
        return hit[1]
    parent_of = await tree(session, prefecture_id)
    cells: dict = defaultdict(int)
    if measure.source == "counts":
        times: list = list(fy_months(fy))
        rows = (await session.execute(select(RollupCount.area_id, RollupCount.dim, RollupCount.month, RollupCount.n)
                                      .where(RollupCount.area_id.in_(list(parent_of)), RollupCount.measure == key,
                                             RollupCount.month >= times[0], RollupCount.month <= times[-1]))).all()
        for a, d, m, n in rows:
            if a in parent_of and d in measure.dims:
                cells[(a, d, m)] += n
    else:
        times = [day]
        if day is not None:
            rows = (await session.execute(select(RollupSnapshot.area_id, RollupSnapshot.dim, RollupSnapshot.n)
                                          .where(RollupSnapshot.measure == key, RollupSnapshot.day == day))).all()
            for a, d, n in rows:
                if a in parent_of and d in measure.dims:
                    cells[(a, d, day)] += n
    cube = sup.Cube(parent_of, measure.dims, times)
    full = sup.with_margins(dict(cells), cube)
    published = sup.Published(full, sup.suppress(full, cube))
    if len(_CUBES) > 2000:
        _CUBES.clear()
    _CUBES[cache_key] = (time.monotonic(), published)
    return published


async def warm_published(session: AsyncSession, *, today: dt.date | None = None) -> int:
    """Rebuilds every prefecture's published cubes for this fiscal year and the newest snapshot day."""
    today = today or clock.today_tokyo()
    fy = fy_of(today.year, today.month)
    day = await session.scalar(select(func.max(RollupSnapshot.day)))
    made = 0
    for pref in (await session.scalars(select(Area.id).where(Area.level == "prefecture"))).all():
        for key, m in MEASURES.items():
            for k in [k for k in _CUBES if k[1:3] == (pref, key)]:
                _CUBES.pop(k, None)
            await published_cube(session, pref, key, fy=fy if m.source == "counts" else None,
                                 day=day if m.source == "snapshot" else None)
            made += 1
    return made
