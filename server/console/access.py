"""Who may open the console and on which areas: coordinators and municipal analysts their own
municipality (exact counts), prefecture analysts their prefecture (published counts only).
An area outside that answers 404, like every other scope check."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from server.areas.models import Area
from server.errors import NotFound
from server.scope import Scope

ROLES = ("coordinator", "municipal_analyst", "prefecture_analyst")


@dataclass
class Access:
    root: Area
    exact: bool  # False: every figure is published (suppressed)
    coordinator: bool  # may click from a count to the records behind it
    prefecture_id: int

    def contains(self, area: Area) -> bool:
        r = self.root.id
        return r in (area.id, area.parent_id, area.municipality_id, area.prefecture_id)

    async def crumbs(self, session: AsyncSession, area: Area) -> list[Area]:
        """From the root down to the area (the links of the drill-down)."""
        chain = [area]
        while chain[0].id != self.root.id and chain[0].parent_id is not None:
            chain.insert(0, await session.get(Area, chain[0].parent_id))
        return chain


async def console_access(session: AsyncSession, scope: Scope, *, publish: bool = False) -> Access:
    """publish=True: a coordinator's or municipal analyst's export marked for publication."""
    for role, ids in (("coordinator", scope.coordinated), ("municipal_analyst", scope.analysed_municipalities)):
        if scope.has(role) and ids:
            root = await session.get(Area, min(ids))
            return Access(root, exact=not publish, coordinator=role == "coordinator" and not publish,
                          prefecture_id=root.prefecture_id)
    if scope.has("prefecture_analyst") and scope.analysed_prefectures:
        root = await session.get(Area, min(scope.analysed_prefectures))
        return Access(root, exact=False, coordinator=False, prefecture_id=root.id)
    raise NotFound()


async def require_area(session: AsyncSession, access: Access, area_id: int | None) -> Area:
    if area_id is None:
        return access.root
    area = await session.get(Area, area_id)
    if area is None or not access.contains(area):
        raise NotFound()
    return area
