"""Salon test data made through the service functions, as the app would."""
from __future__ import annotations

import datetime as dt
import uuid

from server import clock
from server.salons import attendance, service, signups
from server.scope import build_scope


def cid() -> str:
    return uuid.uuid4().hex


def today() -> dt.date:
    return clock.today_tokyo()


async def make_salon(db, town, *, organiser: str | None = "vol_same", capacity: int = 20, threshold: int = 2,
                     audience: str = "elderly", area=None):
    coord = town.coord
    scope = await build_scope(db, coord)
    place = await service.create_place(db, actor=coord, scope=scope, data=service.PlaceInput(
        area_id=(area or town.n1).id, name="浜一丁目集会所", address="港町2-1", capacity=40, step_free=True))
    salon = await service.create_salon(db, actor=coord, scope=scope, data=service.SalonInput(
        area_id=(area or town.n1).id, name="いきいきサロン浜", place_id=place.id, audience=audience, fee_yen=100,
        capacity=capacity, absence_threshold=threshold, schedule_kind="monthly_nth", weekday=1, nth=2))
    if organiser:
        await service.add_organiser(db, actor=coord, scope=scope, salon_id=salon.id, user_id=town.users[organiser].id)
    await db.commit()
    return salon


async def past_session(db, town, salon, days_ago: int):
    """A one-off session `days_ago` days back (attendance can be taken for it)."""
    scope = await build_scope(db, town.coord)
    row = await service.create_session(db, actor=town.coord, scope=scope, salon_id=salon.id,
                                       day=today() - dt.timedelta(days=days_ago), start_time="00:00", end_time="00:30")
    await db.commit()
    return row


async def future_session(db, town, salon, days_ahead: int = 7, capacity: int | None = None):
    scope = await build_scope(db, town.coord)
    row = await service.create_session(db, actor=town.coord, scope=scope, salon_id=salon.id,
                                       day=today() + dt.timedelta(days=days_ahead))
    if capacity is not None:
        row.capacity = capacity
    await db.commit()
    return row


async def on_roster(db, town, salon, person_id: int, who: str = "coord"):
    actor = town.users[who]
    row = await service.add_to_roster(db, actor=actor, scope=await build_scope(db, actor), salon_id=salon.id,
                                      person_id=person_id)
    await db.commit()
    return row


async def mark(db, town, sess, person_id: int, status: str, who: str = "vol_same", noticed: str | None = None):
    actor = town.users[who]
    row = await attendance.record_attendance(db, actor=actor, scope=await build_scope(db, actor), session_id=sess.id,
                                             person_id=person_id, status=status, noticed=noticed, client_id=cid())
    await db.commit()
    return row


async def sign(db, town, sess, person_id: int, who: str = "coord", client_id: str | None = None):
    actor = town.users[who]
    row = await signups.sign_up(db, actor=actor, scope=await build_scope(db, actor), session_id=sess.id,
                                person_id=person_id, client_id=client_id or cid())
    await db.commit()
    return row
