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

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import and_, bindparam, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.areas.models import Area, OrganisationArea
from server.assignments.models import Assignment
from server.concerns.models import Concern
from server.db import UTCDateTime, utcnow
from server.errors import NotFound
from server.households.models import Household, Person
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


def _under(ids):
    """Areas at or under the given ones, in one query: the tree is fixed at four levels
    (prefecture > municipality > district > neighbourhood) and every row carries its municipality
    and prefecture, so no walk is needed."""
    return or_(Area.id.in_(ids), Area.parent_id.in_(ids), Area.municipality_id.in_(ids),
               Area.prefecture_id.in_(ids))


async def descendants(session: AsyncSession, area_ids: set[int]) -> set[int]:
    """All areas under the given ones (included)."""
    if not area_ids:
        return set()
    return set((await session.scalars(select(Area.id).where(_under(area_ids)))).all())


def _areas_reached():
    granted = select(AreaGrant.area_id).where(
        AreaGrant.user_id == bindparam("user_id"), *live_grant(AreaGrant, bindparam("now", type_=UTCDateTime))
    ).scalar_subquery()
    coordinated = bindparam("coordinated", expanding=True)
    root = or_(Area.id.in_(granted), Area.id.in_(coordinated))
    return select(Area.id, Area.level, root.label("root")).where(or_(_under(granted), _under(coordinated)))


def live_grant(model, now):
    """A role or area grant in force now."""
    return (model.valid_from <= now, or_(model.valid_to.is_(None), model.valid_to > now))


def reached_column(user_id, now, dialect: str):
    """The areas a person reaches as one JSON column ([[id, level, root], ...]), correlated to
    `user_id`: the sign-in lookup carries it, so who is asking and where they may look come back
    in a single statement. Same rule as _areas_reached: live area grants plus the municipalities
    the person coordinates, each with everything under it."""
    granted = select(AreaGrant.area_id).where(AreaGrant.user_id == user_id, *live_grant(AreaGrant, now))
    coordinated = select(RoleGrant.municipality_id).where(
        RoleGrant.user_id == user_id, RoleGrant.role == "coordinator", RoleGrant.municipality_id.is_not(None),
        *live_grant(RoleGrant, now))
    root = or_(Area.id.in_(granted), Area.id.in_(coordinated))
    if dialect == "sqlite":
        item, aggregate = func.json_array(Area.id, Area.level, root), func.json_group_array
    else:
        item, aggregate = func.json_build_array(Area.id, Area.level, root), func.json_agg
    return (select(aggregate(item)).where(or_(_under(granted.scalar_subquery()),
                                               _under(coordinated.scalar_subquery())))
            .scalar_subquery())


async def build_scope(session: AsyncSession, user: User, *, grants: list[RoleGrant] | None = None,
                      reached: list | None = None) -> Scope:
    """At most two queries (the role grants, unless the caller loaded them with the session, then
    every area they reach): this runs on every signed-in request, so it is kept to the minimum."""
    now = utcnow()
    scope = Scope(user_id=user.id)
    if user.status != "active":
        return scope
    def live(model):
        return (model.user_id == user.id, *live_grant(model, now))

    if grants is None:
        grants = (await session.scalars(select(RoleGrant).where(*live(RoleGrant)))).all()
    for g in grants:
        scope.roles.add(g.role)
        if g.municipality_id:
            scope.municipalities.add(g.municipality_id)
        if g.role == "coordinator" and g.municipality_id:
            scope.coordinated.add(g.municipality_id)
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
    # Granted areas are the live area grants plus the municipalities the person coordinates.
    if reached is None:
        rows = [(r.id, r.level, r.root) for r in (await session.execute(_AREAS_REACHED, {
            "user_id": user.id, "now": now, "coordinated": sorted(scope.coordinated) or [-1]})).all()]
    else:  # already read with the session (see reached_column)
        rows = [r for r in reached if r and r[0] is not None]
    scope.areas = {r[0] for r in rows}
    if "prefecture_analyst" in scope.roles:
        scope.analysed_prefectures = {r[0] for r in rows if r[2] and r[1] == "prefecture"}
    return scope


# Built once (SQLAlchemy's expression building costs more than the query itself here).
_AREAS_REACHED = _areas_reached()


# --- households (the watch-over issue) --------------------------------------------------------
# Volunteers and commissioners: households assigned to them now; coordinators: their
# municipality; 主任児童委員: households with a child under 18 in their council's area;
# professionals: the households their organisation's concerns are about (a transfer moves this);
# analysts: none. Everything that reads households, people or contacts goes through these.

CHILD_YEARS = 18


async def _council_areas(session: AsyncSession, scope: Scope) -> set[int]:
    cached = getattr(scope, "_council_area_cache", None)
    if cached is None:
        roots = set((await session.scalars(
            select(OrganisationArea.area_id).where(OrganisationArea.organisation_id.in_(scope.councils))
        )).all()) if scope.councils else set()
        cached = await descendants(session, roots) if roots else set()
        scope._council_area_cache = cached  # type: ignore[attr-defined]
    return cached


async def household_clause(session: AsyncSession, scope: Scope, *, one: bool = False):
    """A WHERE clause on Household selecting exactly what this scope may see.

    one=True: for a query pinned to one household (households.id = ...): each rule is then a
    correlated EXISTS, a single index probe, instead of the list of everything the person is
    assigned to (a commissioner with 225 households: 18 µs instead of 206 µs in SQLite). Lists
    keep the IN form, which lets the database start from the person's assignments.

    Clauses are built once per shape of scope and reused: building SQLAlchemy expressions costs
    more than running them, and this is on nearly every request. The time is bound when the
    statement runs; the child cut-off date is part of the key."""
    child_areas: tuple[int, ...] = ()
    if scope.chief_child and "commissioner" in scope.roles:
        child_areas = tuple(sorted(await _council_areas(session, scope)))
    key = (scope.user_id, tuple(sorted(scope.coordinated)), scope.is_field,
           tuple(sorted(scope.organisations)) if "professional" in scope.roles else (),
           child_areas, utcnow().date() if child_areas else None, one)
    clause = _CLAUSES.get(key)
    if clause is None:
        if len(_CLAUSES) > 5000:
            _CLAUSES.clear()
        clause = _CLAUSES[key] = _build_clause(*key)
    return clause


_CLAUSES: dict[tuple, object] = {}


def _build_clause(user_id: int, coordinated: tuple[int, ...], is_field: bool, organisations: tuple[int, ...],
                  child_areas: tuple[int, ...], today: dt.date | None, one: bool = False):
    def among(column, ids_select):  # Household.id among the selected household ids
        if one:
            return ids_select.where(column == Household.id).exists()
        return Household.id.in_(ids_select)


    now = bindparam("scope_now", type_=UTCDateTime, callable_=utcnow)
    parts = []
    if coordinated:
        parts.append(Household.municipality_id.in_(coordinated))
    if is_field:
        parts.append(among(Assignment.household_id, select(Assignment.household_id).where(
            Assignment.user_id == user_id, Assignment.valid_from <= now,
            or_(Assignment.valid_to.is_(None), Assignment.valid_to > now))))
    if organisations:
        # Professionals: the households their organisation's concerns are about (the concerns issue).
        parts.append(among(Concern.household_id, select(Concern.household_id).where(
            Concern.organisation_id.in_(organisations), Concern.household_id.is_not(None))))
    if child_areas and today is not None:
        # 主任児童委員: households with a child under 18 in their council's area.
        cutoff = today.replace(year=today.year - CHILD_YEARS) if not (today.month == 2 and today.day == 29) \
            else dt.date(today.year - CHILD_YEARS, 3, 1)
        child = select(Person.household_id).where(
            Person.household_id.is_not(None), Person.merged_into_id.is_(None), Person.deceased_on.is_(None),
            or_(Person.birth_date > cutoff,
                and_(Person.birth_date.is_(None), Person.birth_year > today.year - CHILD_YEARS)))
        parts.append(and_(Household.area_id.in_(child_areas), among(Person.household_id, child)))
    return or_(*parts) if parts else false()


async def visible_households(session: AsyncSession, scope: Scope):
    """A SELECT of the ids of every household this scope may see (use in .in_())."""
    return select(Household.id).where(await household_clause(session, scope))


async def require_household(session: AsyncSession, scope: Scope, household_id: int):
    """The household, or NotFound when it does not exist or lies outside the scope."""
    row = (await session.scalars(
        select(Household).where(Household.id == household_id, await household_clause(session, scope, one=True))
    )).first()
    if row is None:
        raise NotFound()
    return row


async def require_person(session: AsyncSession, scope: Scope, person_id: int):
    """A person through their household's scope; a person without a household only for the
    coordinators of their municipality."""
    person = await session.get(Person, person_id)
    if person is None or person.merged_into_id is not None:
        raise NotFound()
    if person.household_id is None:
        scope.require_coordinator_of(person.municipality_id)
    else:
        await require_household(session, scope, person.household_id)
    return person
