"""The one scope gate: what a person may see is the union of what their roles grant.

- areas: coordinators (their municipality's tree), analysts (aggregates only), and the
  neighbourhoods volunteers and commissioners work in;
- households: assignments (the watch-over issue adds them);
- organisations: a professional's organisation (concerns routed or shared to it);
- councils: a council chair's 単位民児協 (its activity-record figures, not residents);
- salons: organisers' rosters (the salons issue).

Every query that touches personal data asks this object; an id outside it answers 404.
Only grants valid now count (valid_from <= now < valid_to), so a term end or a
deactivation takes effect at once.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.areas.models import Area
from server.db import utcnow
from server.errors import NotFound
from server.users.models import AreaGrant, RoleGrant, User


@dataclass
class Scope:
    user_id: int
    roles: set[str] = field(default_factory=set)
    chief_child: bool = False
    # Municipalities where the person coordinates (manages people, areas, households).
    coordinated: set[int] = field(default_factory=set)
    # Municipalities / prefectures whose aggregates the person may read.
    analysed_municipalities: set[int] = field(default_factory=set)
    analysed_prefectures: set[int] = field(default_factory=set)
    organisations: set[int] = field(default_factory=set)
    councils: set[int] = field(default_factory=set)
    chaired_councils: set[int] = field(default_factory=set)
    # Every area granted, expanded to all descendants.
    areas: set[int] = field(default_factory=set)
    municipalities: set[int] = field(default_factory=set)

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def require(self, *roles: str) -> None:
        """Outside scope answers 404, never 403: we do not confirm what exists."""
        if not self.has(*roles):
            raise NotFound()

    def coordinates(self, municipality_id: int | None) -> bool:
        return municipality_id is not None and municipality_id in self.coordinated

    def require_coordinator_of(self, municipality_id: int | None) -> None:
        if not self.coordinates(municipality_id):
            raise NotFound()

    def sees_area(self, area_id: int) -> bool:
        return area_id in self.areas

    @property
    def is_field(self) -> bool:
        return self.has("volunteer", "commissioner")

    @property
    def home_role(self) -> str:
        """The role whose home screen opens first."""
        for role in ("coordinator", "professional", "commissioner", "volunteer", "council_chair",
                     "municipal_analyst", "prefecture_analyst"):
            if role in self.roles:
                return role
        return "none"


async def descendants(session: AsyncSession, area_ids: set[int]) -> set[int]:
    """All areas under the given ones (included); the tree is at most four levels deep."""
    found = set(area_ids)
    frontier = set(area_ids)
    while frontier:
        rows = (await session.scalars(select(Area.id).where(Area.parent_id.in_(frontier)))).all()
        frontier = set(rows) - found
        found |= frontier
    return found


async def build_scope(session: AsyncSession, user: User) -> Scope:
    now = utcnow()
    scope = Scope(user_id=user.id)
    if user.status != "active":
        return scope
    live = lambda model: (model.user_id == user.id, model.valid_from <= now,  # noqa: E731
                          or_(model.valid_to.is_(None), model.valid_to > now))
    grants = (await session.scalars(select(RoleGrant).where(*live(RoleGrant)))).all()
    area_grants = (await session.scalars(select(AreaGrant).where(*live(AreaGrant)))).all()
    granted_areas = {g.area_id for g in area_grants}
    for g in grants:
        scope.roles.add(g.role)
        if g.municipality_id:
            scope.municipalities.add(g.municipality_id)
        if g.role == "coordinator" and g.municipality_id:
            scope.coordinated.add(g.municipality_id)
            granted_areas.add(g.municipality_id)
        elif g.role == "municipal_analyst" and g.municipality_id:
            scope.analysed_municipalities.add(g.municipality_id)
        elif g.role == "professional" and g.organisation_id:
            scope.organisations.add(g.organisation_id)
        elif g.role == "commissioner":
            scope.chief_child = scope.chief_child or g.chief_child
            if g.organisation_id:
                scope.councils.add(g.organisation_id)
        elif g.role == "council_chair" and g.organisation_id:
            scope.chaired_councils.add(g.organisation_id)
            scope.councils.add(g.organisation_id)
    if "prefecture_analyst" in scope.roles:
        scope.analysed_prefectures |= {
            a for a in granted_areas
            if (await session.get(Area, a)) is not None and (await session.get(Area, a)).level == "prefecture"
        }
    scope.areas = await descendants(session, granted_areas) if granted_areas else set()
    return scope
