"""Places, salons, organisers, sessions (generated, one-off, cancelled, moved) and the roster.

Sign-ups and attendance live in signups.py; absence follow-ups in followup.py. Every write
checks scope (server/salons/access.py), validates, and appends its audit row (ids only).
"""
from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.areas.models import Area
from server.assignments.service import holds_role
from server.audit.actions import register
from server.audit.service import record
from server.clock import today_tokyo
from server.db import utcnow
from server.errors import Invalid, NotFound
from server.households.models import Person
from server.i18n import N_, TOKYO
from server.rollups.hooks import SalonTracker
from server.salons import schedule
from server.salons.access import live_organiser, require_salon, require_session, runs
from server.salons.models import (
    AUDIENCES,
    PLACE_KINDS,
    SALON_KINDS,
    SCHEDULE_KINDS,
    Place,
    RosterMember,
    Salon,
    SalonOrganiser,
    SalonSession,
)
from server.scope import Scope, require_person
from server.text import clean, normalise
from server.users.models import User

register({
    "salon.place_created": N_("Salon place created"),
    "salon.created": N_("Salon created"),
    "salon.organiser_added": N_("Salon organiser added"),
    "salon.organiser_ended": N_("Salon organiser ended"),
    "salon.sessions_generated": N_("Salon sessions generated"),
    "salon.session_created": N_("Salon session created"),
    "salon.session_cancelled": N_("Salon session cancelled"),
    "salon.session_moved": N_("Salon session moved"),
    "salon.public_signup_changed": N_("Public sign-up page switched"),
    "salon.raised_recorded": N_("Round-table record saved"),
    "salon.roster_added": N_("Added to a salon roster"),
    "salon.roster_removed": N_("Removed from a salon roster"),
    "salon.roster_viewed": N_("Salon roster viewed"),
    "salon.session_viewed": N_("Salon session viewed"),
    "salon.call_list_viewed": N_("Salon call list viewed"),
})

MAX_GENERATE_DAYS = 400
# With fewer days than this left in the fiscal year, planning runs through the next one too.
PLAN_NEXT_YEAR_DAYS = 31




def at_tokyo(day: dt.date, hhmm: str) -> dt.datetime:
    t = schedule.parse_time(hhmm) or dt.time(10)
    return dt.datetime.combine(day, t, tzinfo=TOKYO).astimezone(dt.UTC)


# --- places ---------------------------------------------------------------------------------------

@dataclass
class PlaceInput:
    area_id: int | None
    name: str
    kind: str = "community_hall"
    address: str = ""
    capacity: int | None = None
    step_free: bool = False
    accessible_toilet: bool = False
    access_notes: str = ""
    lat: float | None = None
    lng: float | None = None


async def _area_in(session: AsyncSession, scope: Scope, area_id: int | None, errors: dict) -> Area | None:
    area = await session.get(Area, area_id) if area_id else None
    if area is None or area.level not in ("district", "neighbourhood") or not scope.coordinates(area.municipality_id):
        errors["area_id"] = N_("Choose a district or neighbourhood of your municipality.")
        return None
    return area


async def create_place(session: AsyncSession, *, actor: User, scope: Scope, data: PlaceInput) -> Place:
    errors: dict[str, str] = {}
    area = await _area_in(session, scope, data.area_id, errors)
    name = clean(data.name, 100)
    if not name:
        errors["name"] = N_("Enter the name.")
    if data.kind not in PLACE_KINDS:
        errors["kind"] = N_("Choose the kind of place.")
    if data.capacity is not None and not 1 <= data.capacity <= 1000:
        errors["capacity"] = N_("Enter a number from 1 to 1,000.")
    if (data.lat is None) != (data.lng is None) or (
            data.lat is not None and not (-90 <= data.lat <= 90 and -180 <= data.lng <= 180)):
        errors["lat"] = N_("Enter both latitude and longitude, or neither.")
    if errors:
        raise Invalid(fields=errors)
    row = Place(municipality_id=area.municipality_id, area_id=area.id, name=name, kind=data.kind,
                address=clean(data.address, 200), capacity=data.capacity, step_free=data.step_free,
                accessible_toilet=data.accessible_toilet, access_notes=clean(data.access_notes, 400),
                lat=data.lat, lng=data.lng)
    session.add(row)
    await session.flush()
    await record(session, action="salon.place_created", actor_id=actor.id, municipality_id=row.municipality_id,
                 object_type="salon_place", object_id=row.id)
    return row


# --- salons ---------------------------------------------------------------------------------------

@dataclass
class SalonInput:
    area_id: int | None
    name: str
    place_id: int | None = None
    kind: str = "salon"
    audience: str = "elderly"
    fee_yen: int | None = 0
    transport_notes: str = ""
    capacity: int | None = 20
    absence_threshold: int | None = 2
    schedule_kind: str = "monthly_nth"
    weekday: int | None = None
    nth: int | None = None
    dates: list[dt.date | None] = field(default_factory=list)
    start_time: str = "10:00"
    end_time: str = "12:00"
    topic: str = ""


async def create_salon(session: AsyncSession, *, actor: User, scope: Scope, data: SalonInput) -> Salon:
    """Coordinators create salons and round-tables (座談会: kind round_table, usually one-off)."""
    errors: dict[str, str] = {}
    area = await _area_in(session, scope, data.area_id, errors)
    name = clean(data.name, 100)
    if not name:
        errors["name"] = N_("Enter the name.")
    place = await session.get(Place, data.place_id) if data.place_id else None
    if data.place_id and (place is None or area is None or place.municipality_id != area.municipality_id):
        errors["place_id"] = N_("Choose a place of your municipality.")
    if data.kind not in SALON_KINDS:
        errors["kind"] = N_("Choose salon or round-table.")
    if data.audience not in AUDIENCES:
        errors["audience"] = N_("Choose who it is for.")
    if data.fee_yen is None or not 0 <= data.fee_yen <= 100_000:
        errors["fee_yen"] = N_("Enter the fee in yen (0 if free).")
    if data.capacity is None or not 1 <= data.capacity <= 500:
        errors["capacity"] = N_("Enter a number from 1 to 500.")
    if data.absence_threshold is None or not 1 <= data.absence_threshold <= 12:
        errors["absence_threshold"] = N_("Enter a number from 1 to 12.")
    if data.schedule_kind not in SCHEDULE_KINDS:
        errors["schedule_kind"] = N_("Choose how often it meets.")
    if data.schedule_kind in ("monthly_nth", "weekly") and (data.weekday is None or not 0 <= data.weekday <= 6):
        errors["weekday"] = N_("Choose the day of the week.")
    if data.schedule_kind == "monthly_nth" and data.nth not in (1, 2, 3, 4, -1):
        errors["nth"] = N_("Choose which week of the month.")
    if data.schedule_kind == "dates" and (not data.dates or any(d is None for d in data.dates) or len(data.dates) > 60):
        errors["dates"] = N_("Enter the dates (YYYY-MM-DD), up to 60.")
    start, end = schedule.parse_time(data.start_time), schedule.parse_time(data.end_time)
    if start is None or end is None or end <= start:
        errors["start_time"] = N_("Enter a start and an end time (HH:MM), the end after the start.")
    if errors:
        raise Invalid(fields=errors)
    row = Salon(municipality_id=area.municipality_id, area_id=area.id, place_id=place.id if place else None,
                name=name, kind=data.kind, audience=data.audience, fee_yen=data.fee_yen,
                transport_notes=clean(data.transport_notes, 400), capacity=data.capacity,
                absence_threshold=data.absence_threshold, schedule_kind=data.schedule_kind,
                weekday=data.weekday if data.schedule_kind in ("monthly_nth", "weekly") else None,
                nth=data.nth if data.schedule_kind == "monthly_nth" else None,
                dates=sorted({d.isoformat() for d in data.dates if d}) if data.schedule_kind == "dates" else [],
                start_time=start.strftime("%H:%M"), end_time=end.strftime("%H:%M"), topic=clean(data.topic, 200),
                created_by=actor.id)
    session.add(row)
    await session.flush()
    await record(session, action="salon.created", actor_id=actor.id, municipality_id=row.municipality_id,
                 object_type="salon", object_id=row.id)
    return row


async def add_organiser(session: AsyncSession, *, actor: User, scope: Scope, salon_id: int,
                        user_id: int | None) -> SalonOrganiser:
    """The salon_organiser role, granted per salon to a volunteer or commissioner of its municipality."""
    salon = await session.get(Salon, salon_id)
    if salon is None or not scope.coordinates(salon.municipality_id):
        raise NotFound()
    ok = user_id is not None and (await holds_role(session, user_id, "volunteer", salon.municipality_id)
                                  or await holds_role(session, user_id, "commissioner", salon.municipality_id))
    if not ok:
        raise Invalid(fields={"user_id": N_("Choose a volunteer or commissioner of this municipality.")})

    existing = (await session.scalars(select(SalonOrganiser).where(
        SalonOrganiser.salon_id == salon.id, SalonOrganiser.user_id == user_id, *live_organiser()))).first()
    if existing is not None:
        return existing
    row = SalonOrganiser(salon_id=salon.id, user_id=user_id, granted_by=actor.id)
    session.add(row)
    await session.flush()
    await record(session, action="salon.organiser_added", actor_id=actor.id, municipality_id=salon.municipality_id,
                 object_type="salon", object_id=salon.id, ids=[user_id])
    return row


async def end_organiser(session: AsyncSession, *, actor: User, scope: Scope, organiser_id: int) -> SalonOrganiser:
    row = await session.get(SalonOrganiser, organiser_id)
    salon = await session.get(Salon, row.salon_id) if row else None
    if salon is None or not scope.coordinates(salon.municipality_id) or row.valid_to is not None:
        raise NotFound()
    row.valid_to = utcnow()
    await record(session, action="salon.organiser_ended", actor_id=actor.id, municipality_id=salon.municipality_id,
                 object_type="salon", object_id=salon.id, ids=[row.user_id])
    return row


# --- sessions -------------------------------------------------------------------------------------

def _session_for(salon: Salon, day: dt.date, start: str | None = None, end: str | None = None) -> SalonSession:
    return SalonSession(salon_id=salon.id, origin_date=day, starts_at=at_tokyo(day, start or salon.start_time),
                        ends_at=at_tokyo(day, end or salon.end_time), place_id=salon.place_id, capacity=salon.capacity,
                        topic=salon.topic)


async def generate_sessions(session: AsyncSession, *, actor: User, scope: Scope, salon_id: int,
                            until: dt.date | None = None, start: dt.date | None = None) -> list[SalonSession]:
    """Sessions for the schedule's dates from `start` (today) to `until` (the fiscal year's end, or
    the next one's when less than a month of this year is left: in March a council plans the year
    that starts in April); dates that already have a session (also a moved or cancelled one) are
    left alone."""
    salon = await require_salon(session, scope, salon_id)
    start = start or today_tokyo()
    if until is None:
        until = schedule.fiscal_year_bounds(schedule.fiscal_year_of(start))[1]
        if (until - start).days < PLAN_NEXT_YEAR_DAYS:
            until = schedule.fiscal_year_bounds(schedule.fiscal_year_of(start) + 1)[1]
    if until < start or (until - start).days > MAX_GENERATE_DAYS:
        raise Invalid(fields={"until": N_("Choose an end date within about a year.")})
    days = schedule.occurrences(salon.schedule_kind, start, until, weekday=salon.weekday, nth=salon.nth,
                                dates=[dt.date.fromisoformat(d) for d in salon.dates])
    have = set((await session.scalars(select(SalonSession.origin_date).where(
        SalonSession.salon_id == salon.id, SalonSession.origin_date >= start, SalonSession.origin_date <= until))).all())
    made = [_session_for(salon, d) for d in days if d not in have]
    session.add_all(made)
    await session.flush()
    if made:
        await record(session, action="salon.sessions_generated", actor_id=actor.id,
                     municipality_id=salon.municipality_id, object_type="salon", object_id=salon.id,
                     ids=[s.id for s in made])
    return made


async def create_session(session: AsyncSession, *, actor: User, scope: Scope, salon_id: int, day: dt.date | None,
                         start_time: str = "", end_time: str = "", topic: str = "") -> SalonSession:
    """A one-off session (a round-table, or an extra salon day)."""
    salon = await require_salon(session, scope, salon_id)
    errors = {}
    if day is None or not today_tokyo() - dt.timedelta(days=60) <= day <= today_tokyo() + dt.timedelta(days=MAX_GENERATE_DAYS):
        errors["day"] = N_("Choose a date within the coming year.")
    start, end = schedule.parse_time(start_time or salon.start_time), schedule.parse_time(end_time or salon.end_time)
    if start is None or end is None or end <= start:
        errors["start_time"] = N_("Enter a start and an end time (HH:MM), the end after the start.")
    if not errors and await session.scalar(select(SalonSession.id).where(
            SalonSession.salon_id == salon.id, SalonSession.origin_date == day)):
        errors["day"] = N_("There is already a session on that day.")
    if errors:
        raise Invalid(fields=errors)
    row = _session_for(salon, day, start.strftime("%H:%M"), end.strftime("%H:%M"))
    row.topic = clean(topic, 200) or salon.topic
    session.add(row)
    await session.flush()
    await record(session, action="salon.session_created", actor_id=actor.id, municipality_id=salon.municipality_id,
                 object_type="salon_session", object_id=row.id)
    return row


async def cancel_session(session: AsyncSession, *, actor: User, scope: Scope, session_id: int) -> SalonSession:
    """Cancelled (a typhoon): organisers and whoever signed residents up see a notice at home."""
    row, salon = await require_session(session, scope, session_id)
    if row.status == "cancelled":
        return row
    if row.attendance_taken_at is not None:
        raise Invalid(fields={"session": N_("Attendance was already taken for this session.")})
    tracker = await SalonTracker.start(session, salon)
    row.status, row.changed_at = "cancelled", utcnow()
    await tracker.done()
    await record(session, action="salon.session_cancelled", actor_id=actor.id, municipality_id=salon.municipality_id,
                 object_type="salon_session", object_id=row.id)
    return row


async def move_session(session: AsyncSession, *, actor: User, scope: Scope, session_id: int,
                       day: dt.date | None, start_time: str = "", end_time: str = "") -> SalonSession:
    row, salon = await require_session(session, scope, session_id)
    errors = {}
    if row.status == "cancelled" or row.attendance_taken_at is not None:
        errors["session"] = N_("This session can no longer be moved.")
    if day is None or not today_tokyo() <= day <= today_tokyo() + dt.timedelta(days=MAX_GENERATE_DAYS):
        errors["day"] = N_("Choose a date from today on.")
    old_start = row.starts_at.astimezone(TOKYO).strftime("%H:%M")
    old_end = row.ends_at.astimezone(TOKYO).strftime("%H:%M")
    start, end = schedule.parse_time(start_time or old_start), schedule.parse_time(end_time or old_end)
    if start is None or end is None or end <= start:
        errors["start_time"] = N_("Enter a start and an end time (HH:MM), the end after the start.")
    if errors:
        raise Invalid(fields=errors)
    row.moved_from = row.moved_from or row.starts_at
    row.starts_at, row.ends_at = at_tokyo(day, start.strftime("%H:%M")), at_tokyo(day, end.strftime("%H:%M"))
    row.changed_at = utcnow()
    await record(session, action="salon.session_moved", actor_id=actor.id, municipality_id=salon.municipality_id,
                 object_type="salon_session", object_id=row.id)
    return row


async def set_public_signup(session: AsyncSession, *, actor: User, scope: Scope, session_id: int,
                            on: bool) -> SalonSession:
    """The organiser switches the public sign-up page on (a random link) or off."""
    row, salon = await require_session(session, scope, session_id)
    row.public_signup = on
    if on and not row.join_token:
        row.join_token = secrets.token_urlsafe(24)
    await record(session, action="salon.public_signup_changed", actor_id=actor.id,
                 municipality_id=salon.municipality_id, object_type="salon_session", object_id=row.id)
    return row


async def record_raised(session: AsyncSession, *, actor: User, scope: Scope, session_id: int,
                        raised: str) -> SalonSession:
    """A round-table's record of what residents raised (themes, not who said what)."""
    row, salon = await require_session(session, scope, session_id)
    if len(raised or "") > 4000:
        raise Invalid(fields={"raised": N_("Please keep it under 4,000 characters.")})
    row.raised = (raised or "").strip()
    await record(session, action="salon.raised_recorded", actor_id=actor.id, municipality_id=salon.municipality_id,
                 object_type="salon_session", object_id=row.id)
    return row


# --- roster -------------------------------------------------------------------------------------

async def add_to_roster(session: AsyncSession, *, actor: User, scope: Scope, salon_id: int,
                        person_id: int | None = None, guest_name: str = "", guest_phone: str = "",
                        needs_transport: bool = False) -> RosterMember:
    """A registered person (seen through the watch-over scope gate: their commissioner, volunteer
    or the coordinator), or a guest with a name and phone (made as a person without a household)."""
    salon = await require_salon(session, scope, salon_id, run=False)
    if person_id is not None:
        person = await require_person(session, scope, person_id)
        if person.municipality_id != salon.municipality_id:
            raise NotFound()
    else:
        if not await runs(session, scope, salon):
            raise NotFound()
        name, phone = clean(guest_name, 100), clean(guest_phone, 32)
        errors = {}
        if not name:
            errors["guest_name"] = N_("Enter the name.")
        if phone and not all(c.isdigit() or c in "-+() " for c in phone):
            errors["guest_phone"] = N_("Enter the phone number in digits.")
        if errors:
            raise Invalid(fields=errors)
        person = Person(municipality_id=salon.municipality_id, household_id=None, name=name, kana="",
                        kana_norm="", name_norm=normalise(name), phone=phone or None)
        session.add(person)
        await session.flush()
    row = (await session.scalars(select(RosterMember).where(
        RosterMember.salon_id == salon.id, RosterMember.person_id == person.id))).first()
    if row is not None and row.left_on is None:
        return row
    if row is None:
        row = RosterMember(salon_id=salon.id, person_id=person.id, joined_on=today_tokyo(), added_by=actor.id)
        session.add(row)
    row.left_on, row.needs_transport = None, needs_transport
    await session.flush()
    await record(session, action="salon.roster_added", actor_id=actor.id, municipality_id=salon.municipality_id,
                 object_type="salon", object_id=salon.id, ids=[person.id])
    return row


async def remove_from_roster(session: AsyncSession, *, actor: User, scope: Scope, member_id: int) -> RosterMember:
    row = await session.get(RosterMember, member_id)
    if row is None:
        raise NotFound()
    salon = await require_salon(session, scope, row.salon_id)
    if row.left_on is None:
        row.left_on = today_tokyo()
        await record(session, action="salon.roster_removed", actor_id=actor.id, municipality_id=salon.municipality_id,
                     object_type="salon", object_id=salon.id, ids=[row.person_id])
    return row
