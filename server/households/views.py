"""What the household pages show, through the scope gate; each view writes its one audit row
listing the ids of the residents shown (household.viewed, search.viewed, ...)."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.areas.models import Area
from server.assignments.models import Assignment
from server.assignments.service import candidates as assignment_candidates
from server.assignments.service import live
from server.audit.actions import ACTIONS
from server.audit.service import record
from server.concerns.models import Concern
from server.contacts import queries as contact_queries
from server.contacts.models import ActivityItem, Contact
from server.contacts.service import EDIT_WINDOW, may_edit
from server.db import utcnow
from server.errors import NotFound
from server.households import queries, service
from server.households import rules as watch_rules
from server.households.models import (
    Consent,
    Household,
    Person,
    StatusChange,
    WatchSettings,
)
from server.scope import Scope, household_clause, require_household, require_person
from server.users.models import User

READS_NOTES = ("coordinator", "commissioner")


@dataclass
class HouseholdView:
    household: Household
    area: Area | None
    people: list[Person]
    consents: dict[int, dict[str, Consent]]
    effective: dict[int, dict[str, bool]]
    assignments: list[tuple]
    timeline: list[Contact]
    items: dict[int, list[ActivityItem]]
    flags: dict[int, Concern]
    revisits: list
    history: list[StatusChange]
    rules: object
    coordinator: bool
    can_log: bool
    reads_notes: bool
    authors: dict[int, User] = field(default_factory=dict)
    editable: set[int] = field(default_factory=set)
    # People who may be assigned here, by role (coordinators: both; the household's commissioner: volunteers).
    candidates: dict[str, list[User]] = field(default_factory=dict)
    my_commissioner: bool = False


async def view_household(session: AsyncSession, *, actor: User, scope: Scope, household_id: int) -> HouseholdView:
    # The most visited page after the round: its reads are joined so that it stays within ten
    # queries with the sign-in and the audit row (see docs/watchover.md, benchmark).
    found = (await session.execute(
        select(Household, Area, WatchSettings).join(Area, Area.id == Household.area_id)
        .outerjoin(WatchSettings, WatchSettings.municipality_id == Household.municipality_id)
        .where(Household.id == household_id, await household_clause(session, scope, one=True))
    )).first()
    if found is None:
        raise NotFound()
    household, area, rules = found
    rules = rules or watch_rules.default_watch_settings(household.municipality_id)
    coordinator = scope.coordinates(household.municipality_id)
    everyone, latest = await queries.members_with_consents(session, household.id)
    # Coordinators see every member (to record consent); others only those consenting to watch-over.
    people = everyone if coordinator else [p for p in everyone if p.watch_ok]
    consents: dict[int, dict[str, Consent]] = {}
    effective: dict[int, dict[str, bool]] = {}
    for p in people:
        consents[p.id] = {purpose: latest[(p.id, purpose)] for purpose in ("watch", "share", "evacuation", "sensitive")
                          if (p.id, purpose) in latest}
        effective[p.id] = {purpose: watch_rules.effective(rules, purpose, latest.get((p.id, purpose)))
                           for purpose in ("watch", "share", "evacuation", "sensitive")}

    assignments = [(a, u) for a, u in (await session.execute(
        select(Assignment, User).join(User, User.id == Assignment.user_id).where(
            Assignment.household_id == household.id, *live()).order_by(Assignment.role, Assignment.id))).all()]
    timeline, items, flags, authors = await contact_queries.timeline_with_details(session, household.id)
    history: list[StatusChange] = []  # the household row holds the current status; history is in the table
    my_commissioner = any(a.user_id == actor.id and a.role == "commissioner" for a, _u in assignments)
    candidates: dict[str, list[User]] = {}
    if coordinator:
        for role in ("commissioner", "volunteer"):
            candidates[role] = await assignment_candidates(session, household.municipality_id, role)
    elif my_commissioner:
        candidates["volunteer"] = await assignment_candidates(session, household.municipality_id, "volunteer",
                                                              area_id=household.area_id)
    await record(session, action="household.viewed", actor_id=actor.id, municipality_id=household.municipality_id,
                 object_type="household", object_id=household.id, ids=[p.id for p in people] or None)
    return HouseholdView(household, area, people, consents, effective, assignments, timeline, items, flags,
                         await contact_queries.open_revisits(session, household.id), history, rules, coordinator,
                         can_log=household.status != "ended" and (scope.is_field or coordinator),
                         reads_notes=scope.has(*READS_NOTES), authors=authors,
                         editable={c.id for c in timeline if c.superseded_at is None and c.withdrawn_at is None
                                   and may_edit(c, actor, scope) and utcnow() - c.created_at <= EDIT_WINDOW},
                         candidates=candidates, my_commissioner=my_commissioner)


async def view_sensitive(session: AsyncSession, *, actor: User, scope: Scope, household_id: int) -> dict:
    """Notes and 要配慮個人情報: coordinators and commissioners, after the step-up check (the handler's)."""
    household = await require_household(session, scope, household_id)
    if not scope.has(*READS_NOTES):
        raise NotFound()
    people = [p for p in (await queries.members(session, [household.id])).get(household.id, [])
              if p.watch_ok or scope.coordinates(household.municipality_id)]
    await record(session, action="household.sensitive_viewed", actor_id=actor.id,
                 municipality_id=household.municipality_id, object_type="household", object_id=household.id,
                 ids=[p.id for p in people] or None)
    return {"household": household, "notes": service.household_notes(household),
            "people": [(p, service.sensitive_of(p)) for p in people]}


async def view_search(session: AsyncSession, *, actor: User, scope: Scope, q: str) -> list[queries.Hit]:
    hits = await queries.search(session, scope, q)
    shown = []
    for hit in hits:
        if not scope.coordinates(hit.household.municipality_id):
            hit.people = [p for p in hit.people if p.watch_ok]
        shown += [p.id for p in hit.people]
    if q.strip():
        await record(session, action="search.viewed", actor_id=actor.id, municipality_id=actor.municipality_id,
                     object_type="search", ids=shown or None)
    return hits


async def view_viewers(session: AsyncSession, *, actor: User, scope: Scope, person_id: int) -> dict:
    """Who has viewed this person: coordinators only; checking is itself audited."""
    person = await require_person(session, scope, person_id)
    scope.require_coordinator_of(person.municipality_id)
    events = await queries.who_viewed(session, person.id)
    users = {u.id: u for u in (await session.scalars(select(User).where(
        User.id.in_({e.actor_id for e in events if e.actor_id})))).all()} if events else {}
    await record(session, action="person.viewers_viewed", actor_id=actor.id, municipality_id=person.municipality_id,
                 object_type="person", object_id=person.id)
    return {"person": person, "events": events, "users": users, "labels": ACTIONS}


async def view_list(session: AsyncSession, *, actor: User, scope: Scope, municipality_id: int,
                    area_id: int | None) -> dict:
    """The coordinator's household list for one neighbourhood (addresses and member names)."""
    scope.require_coordinator_of(municipality_id)
    hoods = await queries.neighbourhoods(session, municipality_id)
    area = next((a for a in hoods if a.id == area_id), None)
    households: list[Household] = []
    people: dict[int, list[Person]] = {}
    if area is not None:
        households = list((await session.scalars(select(Household).where(Household.area_id == area.id)
                                                 .order_by(Household.address_norm, Household.id).limit(1000))).all())
        people = await queries.members(session, [h.id for h in households])
        await record(session, action="search.viewed", actor_id=actor.id, municipality_id=municipality_id,
                     object_type="area", object_id=area.id,
                     ids=[p.id for ps in people.values() for p in ps] or None)
    return {"hoods": hoods, "area": area, "households": households, "people": people,
            "municipality_id": municipality_id}


async def person_for_edit(session: AsyncSession, *, scope: Scope, person_id: int,
                          actor: User | None = None) -> Person:
    """The person, for a coordinator; with `actor`, the view (sensitive fields included) is audited."""
    person = await require_person(session, scope, person_id)
    scope.require_coordinator_of(person.municipality_id)
    if actor is not None:
        await record(session, action="household.sensitive_viewed", actor_id=actor.id,
                     municipality_id=person.municipality_id, object_type="person", object_id=person.id,
                     ids=[person.id])
    return person

