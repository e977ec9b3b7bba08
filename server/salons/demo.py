"""Demo salons for the demo town (みどり市): 緑が丘ふれあいサロン (毎月第2火曜, run by the 福祉員（サロン）
persona 鈴木 節子) with a roster, two sessions already held and the year planned, and a 座談会 in 本町.

One regular, whose household the persona also watches over, was absent at both held sessions:
she shows on the persona's round as サロンに来なくなった. Roster residents come from households
already visited, so the commissioner's never-visited households stay at the top of the round.
Made through the service functions (so their audit rows are written too).
"""
from __future__ import annotations

import datetime as dt
import random
import uuid

from sqlalchemy import select

from server import clock
from server.assignments.models import Assignment
from server.households.models import Household, Person
from server.salons import attendance, service, signups
from server.scope import build_scope


async def seed_salons(session, town, rng: random.Random) -> None:
    coord = town.people["社協コーディネーター"]
    organiser = town.people["福祉員（サロン）"]
    scope = await build_scope(session, coord)
    hood = town.hoods["緑が丘"]
    hall = await service.create_place(session, actor=coord, scope=scope, data=service.PlaceInput(
        area_id=hood.id, name="緑が丘集会所", kind="community_hall", address="緑が丘2丁目3-1", capacity=30,
        step_free=True, accessible_toilet=True, access_notes="入口にスロープがあります"))
    salon = await service.create_salon(session, actor=coord, scope=scope, data=service.SalonInput(
        area_id=hood.id, name="緑が丘ふれあいサロン", place_id=hall.id, audience="elderly", fee_yen=100,
        transport_notes="坂の上の方は送迎します（要予約）", capacity=15, absence_threshold=2,
        schedule_kind="monthly_nth", weekday=1, nth=2, start_time="10:00", end_time="12:00"))
    await service.add_organiser(session, actor=coord, scope=scope, salon_id=salon.id, user_id=organiser.id)
    mine = set((await session.scalars(select(Assignment.household_id).where(
        Assignment.user_id == organiser.id, Assignment.valid_to.is_(None)))).all())
    elderly = (await session.scalars(select(Household).where(
        Household.area_id == hood.id, Household.last_contact_at.is_not(None), Household.watch_ok.is_(True))
        .order_by(Household.id))).all()
    elderly = [h for h in elderly if set(h.types) & {"elderly_alone", "elderly_only"}]
    regulars: list[Person] = []
    for h in elderly[:12]:
        person = (await session.scalars(select(Person).where(Person.household_id == h.id, Person.watch_ok.is_(True))
                                        .order_by(Person.id))).first()
        if person is not None:
            await service.add_to_roster(session, actor=coord, scope=scope, salon_id=salon.id, person_id=person.id,
                                        needs_transport=rng.random() < 0.2)
            regulars.append(person)
    await service.add_to_roster(session, actor=coord, scope=scope, salon_id=salon.id, guest_name="野村 フミ",
                                guest_phone="000-555-0101")
    stopped = next((p for p in regulars if p.household_id in mine), regulars[0] if regulars else None)
    today = clock.today_tokyo()
    held = []
    for days in (28, 14):
        held.append(await service.create_session(session, actor=coord, scope=scope, salon_id=salon.id,
                                                 day=today - dt.timedelta(days=days)))
    for sess in held:
        for p in regulars:
            status = "absent" if p is stopped else rng.choice(["present"] * 6 + ["excused"])
            await attendance.record_attendance(session, actor=organiser, scope=await build_scope(session, organiser),
                                               session_id=sess.id, person_id=p.id, status=status)
    await service.generate_sessions(session, actor=coord, scope=scope, salon_id=salon.id,
                                    start=today + dt.timedelta(days=1))
    coming = (await service.create_session(session, actor=coord, scope=scope, salon_id=salon.id,
                                           day=today + dt.timedelta(days=3)))
    for p in regulars[:5]:
        await signups.sign_up(session, actor=coord, scope=scope, session_id=coming.id, person_id=p.id,
                              client_id=uuid.uuid4().hex)
    await service.set_public_signup(session, actor=coord, scope=scope, session_id=coming.id, on=True)
    town_hall = town.hoods["本町"]
    round_table = await service.create_salon(session, actor=coord, scope=scope, data=service.SalonInput(
        area_id=town_hall.id, name="本町 地域の座談会", kind="round_table", audience="mixed", fee_yen=0, capacity=30,
        schedule_kind="none", topic="災害時の声かけと避難"))
    await service.add_organiser(session, actor=coord, scope=scope, salon_id=round_table.id,
                                user_id=town.people["民児協会長"].id)
    await service.create_session(session, actor=coord, scope=scope, salon_id=round_table.id,
                                 day=today + dt.timedelta(days=10), start_time="14:00", end_time="15:30")
