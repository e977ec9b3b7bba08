"""What the salon pages show, read through the salons scope (access.py); views that show
residents write their one audit row listing the ids shown (here, never in routes or services)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.areas.models import Area
from server.audit.service import record
from server.contacts import views as contact_views
from server.db import utcnow
from server.errors import NotFound
from server.households.models import Household, Person
from server.i18n import TOKYO
from server.salons import followup, reports
from server.salons.access import (
    live_organiser,
    organised_salon_ids,
    require_salon,
    require_session,
    runs,
)
from server.salons.attendance import noticed_of
from server.salons.models import (
    Attendance,
    Followup,
    Place,
    RosterMember,
    Salon,
    SalonOrganiser,
    SalonSession,
    Signup,
)
from server.scope import Scope, visible_households
from server.users.models import RoleGrant, User


async def salon_list(session: AsyncSession, scope: Scope) -> tuple[list[Salon], list[tuple[SalonSession, Salon]]]:
    """(salons I run, upcoming sessions in my municipality I may sign residents up for)."""
    mine = await organised_salon_ids(session, scope)
    run = list((await session.scalars(select(Salon).where(
        or_(Salon.id.in_(mine or {0}), Salon.municipality_id.in_(scope.coordinated or {0}))).order_by(Salon.name))).all())
    upcoming: list = []
    if scope.is_field or scope.coordinated:
        upcoming = list((await session.execute(select(SalonSession, Salon).join(Salon, Salon.id == SalonSession.salon_id)
                                               .where(Salon.municipality_id.in_(scope.municipalities or {0}),
                                                      SalonSession.status == "scheduled",
                                                      SalonSession.ends_at > utcnow())
                                               .order_by(SalonSession.starts_at).limit(30))).all())
    return run, upcoming


@dataclass
class SalonPage:
    salon: Salon
    place: Place | None
    upcoming: list[SalonSession]
    past: list[SalonSession]
    organisers: list[tuple[SalonOrganiser, User]]
    open_followups: int
    not_coming: int
    candidates: list[User] = field(default_factory=list)


async def salon_page(session: AsyncSession, scope: Scope, salon_id: int) -> SalonPage:
    salon = await require_salon(session, scope, salon_id)

    now = utcnow()
    sessions = (await session.scalars(select(SalonSession).where(SalonSession.salon_id == salon.id)
                                      .order_by(SalonSession.starts_at))).all()
    organisers = list((await session.execute(select(SalonOrganiser, User).join(User, User.id == SalonOrganiser.user_id)
                                             .where(SalonOrganiser.salon_id == salon.id, *live_organiser()))).all())
    candidates: list[User] = []
    if scope.coordinates(salon.municipality_id):
        candidates = list((await session.scalars(select(User).join(RoleGrant, RoleGrant.user_id == User.id).where(
            RoleGrant.role.in_(("volunteer", "commissioner")), RoleGrant.municipality_id == salon.municipality_id,
            RoleGrant.valid_to.is_(None), User.status == "active").distinct().order_by(User.display_name))).all())
    return SalonPage(salon, await session.get(Place, salon.place_id) if salon.place_id else None,
                     [s for s in sessions if s.ends_at > now][:12], [s for s in sessions if s.ends_at <= now][-12:],
                     organisers, len(await followup.open_followups(session, salon.id)),
                     await followup.not_coming_count(session, salon), candidates)


@dataclass
class Line:
    person: Person | None
    signup: Signup | None = None
    attendance: Attendance | None = None
    on_roster: bool = False
    noticed: str = ""

    @property
    def name(self) -> str:
        return self.person.name if self.person else self.signup.public_name

    @property
    def phone(self) -> str:
        return (self.person.phone if self.person else self.signup.public_phone) or ""


@dataclass
class SessionPage:
    sess: SalonSession
    salon: Salon
    runs: bool
    lines: list[Line]  # for runners: roster + sign-ups + walk-ins, attendance alongside
    waitlist: list[Line]
    confirmed: int
    my_signups: list[Line]
    choices: list[Person]  # residents the person may sign up


async def session_page(session: AsyncSession, *, actor: User, scope: Scope, session_id: int) -> SessionPage:
    sess, salon = await require_session(session, scope, session_id, run=False)
    running = await runs(session, scope, salon)
    signups = (await session.scalars(select(Signup).where(Signup.session_id == sess.id, Signup.status != "cancelled")
                                     .order_by(Signup.position))).all()
    lines: dict = {}
    waitlist: list[Line] = []
    roster_ids: set[int] = set()
    attendance: dict[int, Attendance] = {}
    if running:
        roster_ids = set((await session.scalars(select(RosterMember.person_id).where(
            RosterMember.salon_id == salon.id, RosterMember.left_on.is_(None)))).all())
        attendance = {a.person_id: a for a in (await session.scalars(select(Attendance).where(
            Attendance.session_id == sess.id))).all()}
    ids = roster_ids | {s.person_id for s in signups if s.person_id} | set(attendance)
    people = {p.id: p for p in (await session.scalars(select(Person).where(Person.id.in_(ids or {0})))).all()}
    mine: list[Line] = []
    for s in signups:
        line = Line(people.get(s.person_id), s)
        if s.signed_up_by == actor.id:
            mine.append(line)
        if not running:
            continue
        if s.status == "waitlisted":
            waitlist.append(line)
        else:
            lines[s.person_id or f"public-{s.id}"] = line
    if running:
        for pid in roster_ids | set(attendance):
            line = lines.setdefault(pid, Line(people.get(pid)))
        for key, line in lines.items():
            if isinstance(key, int):
                line.on_roster = key in roster_ids
                line.attendance = attendance.get(key)
                line.noticed = noticed_of(line.attendance) if line.attendance else ""
    ordered = sorted(lines.values(), key=lambda ln: (ln.person.kana_norm or ln.person.name_norm) if ln.person else "~")
    choices: list[Person] = []
    if scope.is_field or scope.coordinated:
        visible = await visible_households(session, scope)
        choices = list((await session.scalars(select(Person).join(Household, Household.id == Person.household_id).where(
            Household.id.in_(visible), Household.area_id == salon.area_id, Household.status == "active",
            Person.deceased_on.is_(None), Person.merged_into_id.is_(None)).order_by(Person.kana_norm).limit(300))).all())
    shown = sorted({ln.person.id for ln in ordered + waitlist + mine if ln.person})
    await record(session, action="salon.session_viewed", actor_id=actor.id, municipality_id=salon.municipality_id,
                 object_type="salon_session", object_id=sess.id, ids=shown or None)
    confirmed = sum(1 for s in signups if s.status == "confirmed")
    return SessionPage(sess, salon, running, ordered, waitlist, confirmed, mine, choices)


async def roster_page(session: AsyncSession, *, actor: User, scope: Scope, salon_id: int):
    salon = await require_salon(session, scope, salon_id)
    rows = list((await session.execute(select(RosterMember, Person).join(Person, Person.id == RosterMember.person_id)
                                       .where(RosterMember.salon_id == salon.id, RosterMember.left_on.is_(None))
                                       .order_by(Person.kana_norm, Person.name_norm))).all())
    await record(session, action="salon.roster_viewed", actor_id=actor.id, municipality_id=salon.municipality_id,
                 object_type="salon", object_id=salon.id, ids=[p.id for _, p in rows] or None)
    return salon, rows


async def call_list(session: AsyncSession, *, actor: User, scope: Scope, session_id: int):
    """Names and tap-to-call numbers of everyone signed up (a cancelled or moved session)."""
    sess, salon = await require_session(session, scope, session_id)
    signups = (await session.scalars(select(Signup).where(Signup.session_id == sess.id, Signup.status != "cancelled")
                                     .order_by(Signup.position))).all()
    people = {p.id: p for p in (await session.scalars(select(Person).where(
        Person.id.in_({s.person_id for s in signups if s.person_id} or {0})))).all()}
    lines = [Line(people.get(s.person_id), s) for s in signups]
    await record(session, action="salon.call_list_viewed", actor_id=actor.id, municipality_id=salon.municipality_id,
                 object_type="salon_session", object_id=sess.id, ids=sorted(people) or None)
    return sess, salon, lines


async def followup_list(session: AsyncSession, *, actor: User, scope: Scope, salon_id: int):
    salon = await require_salon(session, scope, salon_id)
    rows = await followup.open_followups(session, salon.id)
    await record(session, action="salon.followups_viewed", actor_id=actor.id, municipality_id=salon.municipality_id,
                 object_type="salon", object_id=salon.id, ids=[p.id for _, p in rows] or None)
    return salon, rows


async def followup_page(session: AsyncSession, scope: Scope, followup_id: int) -> tuple[Followup, Salon]:
    return await followup.followup_in_scope(session, scope, followup_id)


async def not_coming(session: AsyncSession, *, actor: User, scope: Scope) -> list[tuple[Household, Salon]]:
    """The person's own households no salon reaches, by address: audited as shown."""
    found = await followup.not_coming_mine(session, actor=actor, scope=scope)
    await record(session, action="salon.not_coming_viewed", actor_id=actor.id, municipality_id=actor.municipality_id,
                 object_type="household", ids=[h.id for h, _ in found] or None)
    return found


async def year_report(session: AsyncSession, scope: Scope, salon_id: int,
                      year: int) -> tuple[Salon, reports.YearReport]:
    """A salon's fiscal-year report (counts and dates), for who runs it."""
    salon = await require_salon(session, scope, salon_id)
    return salon, await reports.year_report(session, salon, year)


async def attendance_row(session: AsyncSession, scope: Scope, attendance_id: int) -> Attendance:
    """An attendance line of a session the person runs, else NotFound."""
    row = await session.get(Attendance, attendance_id)
    if row is None:
        raise NotFound()
    await require_session(session, scope, row.session_id)
    return row


# --- the forms of places and salons (coordinators) ---------------------------------------------------

async def place_form(session: AsyncSession, municipality_id: int) -> dict:
    """The municipality's districts and neighbourhoods, and its places."""
    areas = (await session.scalars(select(Area).where(Area.municipality_id == municipality_id,
                                                      Area.level.in_(("district", "neighbourhood")))
                                   .order_by(Area.level, Area.name))).all()
    places = (await session.scalars(select(Place).where(Place.municipality_id == municipality_id)
                                    .order_by(Place.name))).all()
    return {"areas": list(areas), "places": places}


# --- the public sign-up page --------------------------------------------------------------------------

async def join_page(session: AsyncSession, join_token: str) -> tuple[SalonSession, Salon, Place | None]:
    """A session open to public sign-up, by its token (no resident is shown): else NotFound."""
    sess = (await session.scalars(select(SalonSession).where(SalonSession.join_token == join_token[:48],
                                                             SalonSession.public_signup.is_(True)))).first()
    if sess is None:
        raise NotFound()
    salon = await session.get(Salon, sess.salon_id)
    return sess, salon, await session.get(Place, sess.place_id) if sess.place_id else None


# --- notices on the field roles' home screen ------------------------------------------------------

@dataclass
class SessionNotice:
    sess: SalonSession
    salon: Salon
    runs: bool
    template: str = "salons/_notice.html"


async def session_notices(session: AsyncSession, actor: User, scope: Scope) -> list[SessionNotice]:
    """Sessions cancelled or moved in the last 14 days that have not yet passed, for their
    organisers and for whoever signed residents up."""
    now = utcnow()
    # One query (this runs on every round): the person's salons as a subquery, not a prefetch.
    mine = select(SalonOrganiser.salon_id).where(SalonOrganiser.user_id == scope.user_id, *live_organiser())
    signed = select(Signup.session_id).where(Signup.signed_up_by == actor.id, Signup.status != "cancelled")
    is_mine = SalonSession.salon_id.in_(mine)
    rows = (await session.execute(
        select(SalonSession, Salon, is_mine.label("mine")).join(Salon, Salon.id == SalonSession.salon_id).where(
            SalonSession.changed_at >= now - dt.timedelta(days=14),
            or_(SalonSession.ends_at > now, SalonSession.moved_from > now),
            or_(is_mine, SalonSession.id.in_(signed)))
        .order_by(SalonSession.starts_at).limit(10))).all()
    return [SessionNotice(s, salon, bool(m)) for s, salon, m in rows]


if session_notices not in contact_views.ROUND_NOTICES:
    contact_views.ROUND_NOTICES.append(session_notices)


def local(when: dt.datetime) -> dt.datetime:
    return when.astimezone(TOKYO)
