"""Assigning households, cadence, and the handover at a commissioner's term end.

Rules:
- coordinators assign anywhere in their municipality; a commissioner assigns volunteers
  only within the households assigned to them;
- a household has at most one live commissioner: assigning a new one ends the old row;
- the assignee must hold the matching role in the household's municipality now;
- handover moves, in one step, a commissioner's households, open revisits and open concern
  flags to a successor; without one they become unassigned (listed for the coordinator) and
  the old commissioner's access to them ends (at `effective_at`, default now).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.assignments.models import ASSIGNEE_ROLES, Assignment
from server.audit.actions import register
from server.audit.service import record
from server.concerns.service import hand_over
from server.contacts.models import Revisit
from server.db import utcnow
from server.errors import Invalid, NotFound
from server.households.models import Household
from server.households.rules import cadence as check_cadence
from server.i18n import N_, TOKYO
from server.scope import Scope, require_household
from server.users.models import AreaGrant, RoleGrant, User

register({
    "assignment.created": N_("Household assigned"),
    "assignment.ended": N_("Assignment ended"),
    "assignment.cadence_changed": N_("Visit cadence changed"),
    "assignment.handover": N_("Households handed over"),
    "households.unassigned_viewed": N_("Unassigned households listed (household ids)"),
})


def live(now: dt.datetime | None = None):
    now = now or utcnow()
    return (Assignment.valid_from <= now, or_(Assignment.valid_to.is_(None), Assignment.valid_to > now))


async def live_assignments(session: AsyncSession, household_id: int) -> list[Assignment]:
    return list((await session.scalars(select(Assignment).where(
        Assignment.household_id == household_id, *live()).order_by(Assignment.role, Assignment.id))).all())


async def holds_role(session: AsyncSession, user_id: int, role: str, municipality_id: int) -> bool:
    now = utcnow()
    return (await session.scalar(select(RoleGrant.id).where(
        RoleGrant.user_id == user_id, RoleGrant.role == role, RoleGrant.municipality_id == municipality_id,
        RoleGrant.valid_from <= now, or_(RoleGrant.valid_to.is_(None), RoleGrant.valid_to > now)).limit(1))) is not None


async def assign(session: AsyncSession, *, actor: User, scope: Scope, household_id: int, user_id: int | None,
                 role: str, audit: bool = True) -> Assignment:
    household = await require_household(session, scope, household_id)
    if role not in ASSIGNEE_ROLES:
        raise Invalid(fields={"role": N_("Choose commissioner or volunteer.")})
    mine = [a for a in await live_assignments(session, household.id)
            if a.user_id == actor.id and a.role == "commissioner"]
    if not scope.coordinates(household.municipality_id) and not (role == "volunteer" and mine):
        raise NotFound()
    if user_id is None or not await holds_role(session, user_id, role, household.municipality_id):
        raise Invalid(fields={"user_id": N_("Choose a person who holds that role in this municipality.")})
    current = await live_assignments(session, household.id)
    if any(a.user_id == user_id and a.role == role for a in current):
        return next(a for a in current if a.user_id == user_id and a.role == role)
    now = utcnow()
    if role == "commissioner":
        for a in current:
            if a.role == "commissioner":
                a.valid_to = now
    row = Assignment(household_id=household.id, user_id=user_id, role=role, valid_from=now, assigned_by=actor.id)
    session.add(row)
    await session.flush()
    if audit:
        await record(session, action="assignment.created", actor_id=actor.id,
                     municipality_id=household.municipality_id, object_type="household", object_id=household.id,
                     ids=[user_id])
    return row


async def end_assignment(session: AsyncSession, *, actor: User, scope: Scope, assignment_id: int) -> Assignment:
    row = await session.get(Assignment, assignment_id)
    if row is None or row.valid_to is not None and row.valid_to <= utcnow():
        raise NotFound()
    household = await require_household(session, scope, row.household_id)
    mine = any(a.user_id == actor.id and a.role == "commissioner" for a in await live_assignments(session, household.id))
    if not scope.coordinates(household.municipality_id) and not (row.role == "volunteer" and mine):
        raise NotFound()
    row.valid_to = utcnow()
    await session.flush()
    await record(session, action="assignment.ended", actor_id=actor.id, municipality_id=household.municipality_id,
                 object_type="household", object_id=household.id, ids=[row.user_id])
    return row


async def set_cadence(session: AsyncSession, *, actor: User, scope: Scope, household_id: int, cadence: str,
                      days: int | None) -> Household:
    household = await require_household(session, scope, household_id)
    mine = any(a.user_id == actor.id and a.role == "commissioner" for a in await live_assignments(session, household.id))
    if not scope.coordinates(household.municipality_id) and not mine:
        raise NotFound()
    errors: dict[str, str] = {}
    household.cadence, household.cadence_days = check_cadence(cadence, days, errors)
    if errors:
        raise Invalid(fields=errors)
    await session.flush()
    await record(session, action="assignment.cadence_changed", actor_id=actor.id,
                 municipality_id=household.municipality_id, object_type="household", object_id=household.id)
    return household


def term_end(today: dt.date, month: int = 11, day: int = 30) -> dt.date:
    """The next term end on or after today (commissioners' terms end on 30 November by default)."""
    candidate = dt.date(today.year, month, day)
    return candidate if candidate >= today else dt.date(today.year + 1, month, day)


def end_of_day_tokyo(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=TOKYO).astimezone(dt.UTC)


async def handover(session: AsyncSession, *, actor: User, scope: Scope, municipality_id: int, from_user_id: int,
                   to_user_id: int | None, effective_on: dt.date | None = None) -> int:
    """Returns how many households moved. effective_on (Tokyo date): the old access ends at the end of that day."""
    scope.require_coordinator_of(municipality_id)
    if to_user_id == from_user_id:
        raise Invalid(fields={"to_user_id": N_("Choose a different successor.")})
    if to_user_id is not None and not await holds_role(session, to_user_id, "commissioner", municipality_id):
        raise Invalid(fields={"to_user_id": N_("Choose a commissioner of this municipality.")})
    now = utcnow()
    at = end_of_day_tokyo(effective_on) if effective_on else now
    at = max(at, now)
    rows = (await session.scalars(select(Assignment).join(Household, Household.id == Assignment.household_id).where(
        Assignment.user_id == from_user_id, Assignment.role == "commissioner", Household.municipality_id == municipality_id,
        or_(Assignment.valid_to.is_(None), Assignment.valid_to > now)))).all()
    if not rows:
        raise Invalid(fields={"from_user_id": N_("This commissioner has no households to hand over.")})
    household_ids = [r.household_id for r in rows]
    for r in rows:
        r.valid_to = at
        if to_user_id is not None:
            session.add(Assignment(household_id=r.household_id, user_id=to_user_id, role="commissioner",
                                   valid_from=at, assigned_by=actor.id))
    await session.execute(update(Revisit).where(Revisit.household_id.in_(household_ids), Revisit.closed_at.is_(None),
                                                Revisit.user_id == from_user_id).values(user_id=to_user_id))
    await hand_over(session, household_ids=household_ids, from_user_id=from_user_id, to_user_id=to_user_id)
    await session.flush()
    await record(session, action="assignment.handover", actor_id=actor.id, municipality_id=municipality_id,
                 object_type="user", object_id=from_user_id, ids=[from_user_id] + ([to_user_id] if to_user_id else []))
    return len(household_ids)


async def unassigned(session: AsyncSession, scope: Scope, municipality_id: int) -> list[Household]:
    """Active households of the municipality without a live commissioner (the coordinator's list)."""
    scope.require_coordinator_of(municipality_id)
    has = select(Assignment.household_id).where(Assignment.role == "commissioner", *live())
    return list((await session.scalars(select(Household).where(
        Household.municipality_id == municipality_id, Household.status != "ended",
        Household.id.not_in(has)).order_by(Household.area_id, Household.address_norm).limit(500))).all())


async def require_user(session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound()
    return user


async def candidates(session: AsyncSession, municipality_id: int, role: str, *,
                     area_id: int | None = None) -> list[User]:
    """People holding `role` in the municipality now (for the assign and handover forms); with
    area_id, only those working in that neighbourhood (a commissioner's choice of volunteers)."""
    now = utcnow()
    stmt = select(User).join(RoleGrant, RoleGrant.user_id == User.id).where(
        RoleGrant.role == role, RoleGrant.municipality_id == municipality_id, RoleGrant.valid_from <= now,
        or_(RoleGrant.valid_to.is_(None), RoleGrant.valid_to > now), User.status == "active")
    if area_id is not None:
        stmt = stmt.where(User.id.in_(select(AreaGrant.user_id).where(
            AreaGrant.area_id == area_id, AreaGrant.valid_from <= now,
            or_(AreaGrant.valid_to.is_(None), AreaGrant.valid_to > now))))
    return list((await session.scalars(stmt.order_by(User.display_name).distinct().limit(500))).all())
