"""Real salon ids in both towns of the route-enumerating authorization test."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select

from server import clock
from server.households.models import Person
from server.salons import attendance, service, signups
from server.salons.models import Followup, SalonOrganiser
from server.scope import build_scope
from server.users.models import User


async def _one_town(db, coordinator: User, organiser: User, area_id: int, town) -> None:
    scope = await build_scope(db, coordinator)
    place = await service.create_place(db, actor=coordinator, scope=scope, data=service.PlaceInput(
        area_id=area_id, name="試験集会所"))
    salon = await service.create_salon(db, actor=coordinator, scope=scope, data=service.SalonInput(
        area_id=area_id, name="試験サロン", place_id=place.id, schedule_kind="monthly_nth", weekday=1, nth=2))
    await service.add_organiser(db, actor=coordinator, scope=scope, salon_id=salon.id, user_id=organiser.id)
    person = await db.get(Person, town.person)
    member = await service.add_to_roster(db, actor=coordinator, scope=scope, salon_id=salon.id, person_id=person.id)
    today = clock.today_tokyo()
    att = None
    for days in (14, 7):
        sess = await service.create_session(db, actor=coordinator, scope=scope, salon_id=salon.id,
                                            day=today - dt.timedelta(days=days), start_time="00:00", end_time="00:30")
        att = await attendance.record_attendance(db, actor=coordinator, scope=scope, session_id=sess.id,
                                                 person_id=person.id, status="absent")
    coming = await service.create_session(db, actor=coordinator, scope=scope, salon_id=salon.id,
                                          day=today + dt.timedelta(days=10))
    signup, _ = await signups.sign_up(db, actor=coordinator, scope=scope, session_id=coming.id, person_id=person.id,
                                      client_id=uuid.uuid4().hex)
    await service.set_public_signup(db, actor=coordinator, scope=scope, session_id=coming.id, on=True)
    fu = (await db.scalars(select(Followup).where(Followup.salon_id == salon.id))).one()
    organiser_row = (await db.scalars(select(SalonOrganiser).where(SalonOrganiser.salon_id == salon.id))).one()
    town.salon, town.salon_session, town.signup, town.member = salon.id, coming.id, signup.id, member.id
    town.followup, town.organiser, town.attendance, town.join_token = fu.id, organiser_row.id, att.id, coming.join_token


async def add_salon_ids(db, cast, this, other) -> None:
    from server.households.models import Household

    for coordinator, organiser, town in ((cast.coordinator, cast.volunteer, this),
                                          (cast.coordinator_other_city, await db.get(User, other.user), other)):
        h = await db.get(Household, town.household)
        await _one_town(db, coordinator, organiser, h.area_id, town)
