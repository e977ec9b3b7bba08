"""`tsunagu rollups rebuild`: recompute every rollup row from the raw rows.

Contacts (the big table: millions of rows at prefecture scale) are grouped in SQL, first per
neighbourhood and month, then spread over the ancestors; concerns, casework gaps and salons go through the same
key functions the write hooks use (server.rollups.hooks), so a rebuild equals what the hooks keep.
"""
from __future__ import annotations

from collections import Counter, defaultdict

from sqlalchemy import delete, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from server.casework.models import Gap
from server.concerns.models import Concern
from server.rollups.areas import ancestor_map
from server.rollups.hooks import concern_keys, gap_keys, salon_keys
from server.rollups.models import RollupCount
from server.salons.models import Salon

_ANC = """WITH anc(area_id, anc_id) AS (
  SELECT id, id FROM areas
  UNION SELECT id, parent_id FROM areas WHERE parent_id IS NOT NULL
  UNION SELECT id, municipality_id FROM areas WHERE municipality_id IS NOT NULL
  UNION SELECT id, prefecture_id FROM areas WHERE prefecture_id IS NOT NULL)
"""
MONTH_SQL = {
    "sqlite": "CAST(strftime('%Y%m', c.occurred_at, '+9 hours') AS INTEGER)",
    "postgresql": "CAST(to_char(c.occurred_at AT TIME ZONE 'Asia/Tokyo', 'YYYYMM') AS INTEGER)",
}


def contacts_sql(dialect: str, column: str, measure: str) -> str:
    return (_ANC + "INSERT INTO rollup_counts (area_id, month, measure, dim, n) "
            f"SELECT anc.anc_id, t.month, '{measure}', t.dim, SUM(t.n) FROM ("
            f"SELECT h.area_id AS area_id, {MONTH_SQL[dialect]} AS month, c.{column} AS dim, COUNT(*) AS n "
            "FROM contacts c JOIN households h ON h.id = c.household_id "
            "WHERE c.superseded_at IS NULL AND c.withdrawn_at IS NULL GROUP BY 1, 2, 3) AS t "
            "JOIN anc ON anc.area_id = t.area_id GROUP BY anc.anc_id, t.month, t.dim")


async def _insert(session: AsyncSession, anc: dict[int, tuple[int, ...]], per_area: dict[int, Counter]) -> None:
    total: Counter = Counter()
    for area_id, keys in per_area.items():
        for up in anc.get(area_id, (area_id,)):
            for (month, measure, dim), n in keys.items():
                total[(up, month, measure, dim)] += n
    rows = [{"area_id": a, "month": m, "measure": s, "dim": d, "n": n} for (a, m, s, d), n in total.items() if n]
    for i in range(0, len(rows), 5000):
        await session.execute(insert(RollupCount), rows[i:i + 5000])


async def rebuild(session: AsyncSession) -> int:
    """Replaces every rollup row; returns how many rows there are now."""
    dialect = session.bind.dialect.name
    await session.execute(delete(RollupCount))
    await session.execute(text(contacts_sql(dialect, "method", "contacts.method")))
    await session.execute(text(contacts_sql(dialect, "outcome", "contacts.outcome")))
    anc = await ancestor_map(session)
    per_area: dict[int, Counter] = defaultdict(Counter)
    columns = (Concern.area_id, Concern.created_at, Concern.target_group, Concern.category, Concern.urgency,
               Concern.state, Concern.acknowledged_at, Concern.arrived_at, Concern.due_at, Concern.closed_at)
    for row in (await session.execute(select(*columns))).all():
        per_area[row.area_id].update(concern_keys(row))
    for row in (await session.execute(select(Gap.area_id, Gap.created_at, Gap.category))).all():
        per_area[row.area_id].update(gap_keys(row))
    for salon_id, area_id in (await session.execute(select(Salon.id, Salon.area_id))).all():
        per_area[area_id].update(await salon_keys(session, salon_id))
    await _insert(session, anc, per_area)
    return await session.scalar(select(text("count(*)")).select_from(RollupCount))
