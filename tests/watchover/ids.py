"""Real watch-over ids in both towns of the route-enumerating authorization test."""
from __future__ import annotations

import uuid

from server import sealing
from server.assignments import service as assignments
from server.contacts import service as contacts
from server.households import service as households
from server.scope import build_scope
from server.users.service import add_active_user


async def _one_town(db, coordinator, commissioner, area_id: int, town) -> None:
    scope = await build_scope(db, coordinator)
    h = await households.create_household(db, actor=coordinator, scope=scope, data=households.HouseholdInput(
        area_id=area_id, address="テスト町1-1", types=["elderly_alone"], needs=[]))
    p = await households.add_person(db, actor=coordinator, scope=scope, household_id=h.id, municipality_id=None,
                                    data=households.PersonInput(name="試験 花子", kana="シケン ハナコ", birth_year=1940))
    a = await assignments.assign(db, actor=coordinator, scope=scope, household_id=h.id, user_id=commissioner.id,
                                 role="commissioner")
    c, _ = await contacts.log_contact(db, actor=coordinator, scope=scope, on_behalf_of=commissioner.id,
                                      data=contacts.ContactInput(household_id=h.id, client_id=uuid.uuid4().hex,
                                                                 method="visit"))
    act, _ = await contacts.log_activity(db, actor=commissioner, scope=await build_scope(db, commissioner),
                                         client_id=uuid.uuid4().hex, kind="survey",
                                         occurred_on=contacts.utcnow().astimezone(contacts.TOKYO).date())
    town.household, town.person, town.assignment, town.contact, town.activity = h.id, p.id, a.id, c.id, act.id


async def add_watchover_ids(db, cast, this, other) -> None:
    from server.config import load
    from tests.conftest import TEST_SECRET  # the app configures the same key

    sealing.configure(load({"TSUNAGU_SECRET_KEY": TEST_SECRET}).data_key)
    await _one_town(db, cast.coordinator, cast.commissioner, cast.hood_a1.id, this)
    neighbour_hood = other.area
    commissioner = await add_active_user(db, actor=None, display_name="隣町 民生委員", role="commissioner",
                                         municipality_id=cast.other_city.id, area_ids=[neighbour_hood])
    from server.areas.models import Area

    area = await db.get(Area, neighbour_hood)
    if area.level != "neighbourhood":  # the other city has a district only: add a neighbourhood under it
        from server.areas.service import create_area

        area = await create_area(db, actor=None, parent_id=area.id, level="neighbourhood", name="となり一丁目")
    await _one_town(db, cast.coordinator_other_city, commissioner, area.id, other)
