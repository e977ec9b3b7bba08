"""Builders for activity-record tests: households and contacts made through the watch-over
service functions, dated in last month (the month a commissioner reviews and submits)."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import update

from server.activity import compile as c
from server.activity import service
from server.assignments import service as assignments
from server.contacts import service as contacts
from server.db import utcnow
from server.households import service as households
from server.i18n import TOKYO
from server.scope import build_scope
from server.users.models import RoleGrant


def last_month() -> tuple[int, int]:
    return service.last_month()


def period() -> str:
    y, m = last_month()
    return f"{y}-{m:02d}"


def day_of_last_month(day: int, hour: int = 10) -> dt.datetime:
    y, m = last_month()
    return dt.datetime(y, m, day, hour, tzinfo=TOKYO)


async def appointed_long_ago(db) -> None:
    """Every commissioner grant starts two years back: the cast is made today, but a month lists
    only commissioners whose grant overlapped it."""
    since = utcnow() - dt.timedelta(days=730)
    await db.execute(update(RoleGrant).where(RoleGrant.role == "commissioner", RoleGrant.valid_from > since)
                     .values(valid_from=since))
    await db.commit()


async def watched(db, cast, commissioner=None, area=None, address="つなぐ町1-2-3"):
    """A household with one resident, assigned to the commissioner (the cast's by default)."""
    coord = cast.coordinator
    scope = await build_scope(db, coord)
    h = await households.create_household(db, actor=coord, scope=scope, data=households.HouseholdInput(
        area_id=(area or cast.hood_a1).id, address=address, types=["elderly_alone"], needs=[]))
    await households.add_person(db, actor=coord, scope=scope, household_id=h.id, municipality_id=None,
                                data=households.PersonInput(name="見守 花子", kana="ミマモリ ハナコ", birth_year=1940))
    await assignments.assign(db, actor=coord, scope=scope, household_id=h.id,
                             user_id=(commissioner or cast.commissioner).id, role="commissioner")
    await db.commit()
    return h


async def log(db, actor, h, *, when, method="visit", consults=(), liaisons=(), on_behalf_of=None):
    scope = await build_scope(db, actor)
    row, _ = await contacts.log_contact(db, actor=actor, scope=scope, on_behalf_of=on_behalf_of,
                                        data=contacts.ContactInput(
                                            household_id=h.id, client_id=uuid.uuid4().hex, method=method,
                                            occurred_at=when, consults=list(consults), liaisons=list(liaisons)))
    await db.commit()
    return row


async def activity(db, actor, kind: str, on: dt.date):
    row, _ = await contacts.log_activity(db, actor=actor, scope=await build_scope(db, actor),
                                         client_id=uuid.uuid4().hex, kind=kind, occurred_on=on)
    await db.commit()
    return row


async def submit(db, actor):
    row = await service.submit_month(db, actor=actor, scope=await build_scope(db, actor), year=last_month()[0],
                                     month=last_month()[1])
    await db.commit()
    return row


__all__ = ["c"]
