"""The area tree read once for a batch job (rebuild, snapshot): each area's ancestors at every level."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.areas.models import Area


async def ancestor_map(session: AsyncSession) -> dict[int, tuple[int, ...]]:
    """area id -> (itself, parent, municipality, prefecture) without repeats or NULLs."""
    out: dict[int, tuple[int, ...]] = {}
    for aid, parent, muni, pref in (await session.execute(
            select(Area.id, Area.parent_id, Area.municipality_id, Area.prefecture_id))).all():
        seen: list[int] = []
        for x in (aid, parent, muni, pref):
            if x is not None and x not in seen:
                seen.append(x)
        out[aid] = tuple(seen)
    return out
