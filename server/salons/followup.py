"""Turning absences into visits (参加しない、できない人を把握し、訪問につなげる).

Absence follow-up, precisely: a roster regular marked 欠席 (not 連絡あり欠席, and never for a
cancelled session) at N held sessions in a row (N = the salon's absence_threshold, default 2)
gets an open follow-up. Sessions where they were excused or not marked neither count nor break
the run; 出席 breaks it (and closes an open follow-up as "came back"). After a follow-up is
closed, counting starts again from the next session.

An open follow-up shows on the organiser's list and, when the household is on someone's round
and the person consents to watch-over, on that round as the sign サロンに来なくなった. One tap
makes it a visit due (the card becomes due today); recording the outcome closes it.

"People who do not come" (参加しない人): households of the salon's area eligible by its
audience (elderly: 独居・高齢者のみ; parents and children: ひとり親・子育て) with nobody on any salon
roster. The organiser sees only their number; the assigned commissioner and volunteers see
their own such households by address.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.assignments.models import Assignment
from server.audit.actions import register
from server.audit.service import record
from server.contacts import queries as contact_queries
from server.db import utcnow
from server.errors import Invalid, NotFound
from server.households.models import Household, Person
from server.i18n import N_, TOKYO
from server.rollups.hooks import SalonTracker
from server.salons.access import runs
from server.salons.models import (
    FOLLOWUP_OUTCOMES,
    Attendance,
    Followup,
    RosterMember,
    Salon,
    SalonSession,
)
from server.scope import Scope, descendants, household_clause
from server.users.models import User

register({
    "salon.followup_opened": N_("Salon absence follow-up opened"),
    "salon.followup_visit_due": N_("Salon follow-up made a visit due"),
    "salon.followup_closed": N_("Salon follow-up outcome recorded"),
    "salon.followups_viewed": N_("Salon follow-up list viewed"),
    "salon.not_coming_viewed": N_("People who do not come listed"),
})

ELIGIBLE = {"elderly": {"elderly_alone", "elderly_only"}, "parents_children": {"single_parent", "child_rearing"},
            "mixed": None}


async def after_attendance(session: AsyncSession, *, salon: Salon, sess: SalonSession, person_id: int, status: str,
                           actor: User) -> Followup | None:
    on_roster = await session.scalar(select(RosterMember.id).where(
        RosterMember.salon_id == salon.id, RosterMember.person_id == person_id, RosterMember.left_on.is_(None)))
    if not on_roster:
        return None
    open_row = (await session.scalars(select(Followup).where(
        Followup.salon_id == salon.id, Followup.person_id == person_id, Followup.closed_at.is_(None)))).first()
    if status == "present":
        if open_row is not None:
            open_row.outcome, open_row.closed_at, open_row.closed_by = "came_back", utcnow(), actor.id
            await record(session, action="salon.followup_closed", actor_id=actor.id,
                         municipality_id=salon.municipality_id, object_type="salon_followup", object_id=open_row.id,
                         ids=[person_id])
        return None
    floor = await session.scalar(select(SalonSession.starts_at).join(Followup, Followup.last_session_id == SalonSession.id)
                                 .where(Followup.salon_id == salon.id, Followup.person_id == person_id,
                                        Followup.closed_at.is_not(None))
                                 .order_by(SalonSession.starts_at.desc()).limit(1))
    held = (await session.execute(
        select(SalonSession.id, Attendance.status).outerjoin(
            Attendance, and_(Attendance.session_id == SalonSession.id, Attendance.person_id == person_id))
        .where(SalonSession.salon_id == salon.id, SalonSession.status != "cancelled",
               SalonSession.attendance_taken_at.is_not(None), SalonSession.starts_at <= sess.starts_at,
               *([SalonSession.starts_at > floor] if floor is not None else []))
        .order_by(SalonSession.starts_at.desc()).limit(60))).all()
    streak = 0
    for _sid, marked in held:
        if marked == "present":
            break
        if marked == "absent":
            streak += 1
    if streak < salon.absence_threshold:
        return open_row
    if open_row is not None:
        open_row.absences, open_row.last_session_id = streak, sess.id
        return open_row
    person = await session.get(Person, person_id)
    row = Followup(salon_id=salon.id, person_id=person_id, household_id=person.household_id, absences=streak,
                   last_session_id=sess.id)
    session.add(row)
    await session.flush()
    await record(session, action="salon.followup_opened", actor_id=actor.id, municipality_id=salon.municipality_id,
                 object_type="salon_followup", object_id=row.id, ids=[person_id])
    return row


async def followup_in_scope(session: AsyncSession, scope: Scope, followup_id: int) -> tuple[Followup, Salon]:
    """Whoever runs the salon, or whoever sees the household (its round's people, the coordinator)."""
    row = await session.get(Followup, followup_id)
    if row is None:
        raise NotFound()
    salon = await session.get(Salon, row.salon_id)
    if await runs(session, scope, salon):
        return row, salon
    if row.household_id is not None and (await session.scalar(select(Household.id).where(
            Household.id == row.household_id, await household_clause(session, scope, one=True)))) is not None:
        return row, salon
    raise NotFound()


async def make_visit_due(session: AsyncSession, *, actor: User, scope: Scope, followup_id: int) -> Followup:
    """One tap: the household's card on the round is due today."""
    row, salon = await followup_in_scope(session, scope, followup_id)
    if row.closed_at is not None:
        raise Invalid(fields={"followup": N_("This follow-up is already closed.")})
    if row.visit_due_on is None:
        row.visit_due_on, row.visit_due_by = utcnow().astimezone(TOKYO).date(), actor.id
        await record(session, action="salon.followup_visit_due", actor_id=actor.id,
                     municipality_id=salon.municipality_id, object_type="salon_followup", object_id=row.id,
                     ids=[row.person_id])
    return row


async def record_outcome(session: AsyncSession, *, actor: User, scope: Scope, followup_id: int,
                         outcome: str) -> Followup:
    row, salon = await followup_in_scope(session, scope, followup_id)
    if outcome not in FOLLOWUP_OUTCOMES:
        raise Invalid(fields={"outcome": N_("Choose what came of the follow-up.")})
    if row.closed_at is not None:
        return row
    tracker = await SalonTracker.start(session, salon)
    row.outcome, row.closed_at, row.closed_by = outcome, utcnow(), actor.id
    await tracker.done()
    await record(session, action="salon.followup_closed", actor_id=actor.id, municipality_id=salon.municipality_id,
                 object_type="salon_followup", object_id=row.id, ids=[row.person_id])
    return row


async def open_followups(session: AsyncSession, salon_id: int) -> list[tuple[Followup, Person]]:
    return list((await session.execute(select(Followup, Person).join(Person, Person.id == Followup.person_id).where(
        Followup.salon_id == salon_id, Followup.closed_at.is_(None)).order_by(Followup.opened_at))).all())


# --- the sign on the round ----------------------------------------------------------------------

@dataclass
class RoundSign:
    followup: Followup
    salon_name: str
    person_name: str
    template: str = "salons/_round_sign.html"

    @property
    def due_on(self) -> dt.date | None:
        return self.followup.visit_due_on


async def round_signs(session: AsyncSession, scope: Scope, household_ids: list[int], today: dt.date) -> dict:
    """サロンに来なくなった on the cards of the round (households already limited to the person's own)."""
    if not household_ids:
        return {}
    found: dict[int, list[RoundSign]] = {}
    for f, salon_name, person_name in (await session.execute(
            select(Followup, Salon.name, Person.name).join(Salon, Salon.id == Followup.salon_id)
            .join(Person, Person.id == Followup.person_id)
            .where(Followup.household_id.in_(household_ids), Followup.closed_at.is_(None),
                   Person.watch_ok.is_(True)))).all():
        found.setdefault(f.household_id, []).append(RoundSign(f, salon_name, person_name))
    return found


if round_signs not in contact_queries.ROUND_SIGNS:
    contact_queries.ROUND_SIGNS.append(round_signs)


# --- people who do not come ----------------------------------------------------------------------

async def _eligible_not_coming(session: AsyncSession, salon: Salon, extra=None) -> list[Household]:
    areas = await descendants(session, {salon.area_id})
    on_some_roster = select(Person.household_id).join(RosterMember, RosterMember.person_id == Person.id).where(
        RosterMember.left_on.is_(None), Person.household_id.is_not(None))
    rows = (await session.scalars(select(Household).where(
        Household.area_id.in_(areas), Household.status == "active", Household.id.not_in(on_some_roster),
        *([extra] if extra is not None else [])).order_by(Household.address_norm))).all()
    wanted = ELIGIBLE.get(salon.audience)
    return [h for h in rows if wanted is None or wanted.intersection(h.types or [])]


async def not_coming_count(session: AsyncSession, salon: Salon) -> int:
    """What the organiser sees: a number, never names."""
    return len(await _eligible_not_coming(session, salon))


async def not_coming_mine(session: AsyncSession, *, actor: User, scope: Scope) -> list[tuple[Household, Salon]]:
    """The person's own assigned households that no salon reaches, each with a salon to invite them to
    (the page showing them, views.not_coming, writes the audit row)."""
    now = utcnow()
    mine = select(Assignment.household_id).where(
        Assignment.user_id == scope.user_id, Assignment.valid_from <= now,
        or_(Assignment.valid_to.is_(None), Assignment.valid_to > now))
    salons = (await session.scalars(select(Salon).where(Salon.active.is_(True), Salon.kind == "salon",
                                                        Salon.municipality_id.in_(scope.municipalities or {0}))
                                    .order_by(Salon.id))).all()
    seen: dict[int, tuple[Household, Salon]] = {}
    for salon in salons:
        for h in await _eligible_not_coming(session, salon, Household.id.in_(mine)):
            seen.setdefault(h.id, (h, salon))
    return list(seen.values())
