"""The concerns tests use the cast (tests/personas.py): つなぐ市 with 北地区 (hood_a1, hood_a2: served by
北地域包括支援センター) and 南地区 (hood_b1: 南地域包括支援センター), a one-stop hub, a child section.
`world` adds the routing rules and one household in hood_a1 assigned to the commissioner and the volunteer."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from server import sealing
from server.assignments import service as assignments
from server.concerns import service
from server.households import service as households
from server.scope import build_scope


@pytest.fixture(autouse=True)
def _data_key(settings):
    sealing.configure(settings.data_key)


@dataclass
class World:
    cast: object
    household: object
    person: object
    household_b: object


async def make_household(db, cast, area, types=("elderly_alone",), assign=True):
    coord = cast.coordinator
    scope = await build_scope(db, coord)
    h = await households.create_household(db, actor=coord, scope=scope, data=households.HouseholdInput(
        area_id=area.id, address="つなぐ町1-2-3", types=list(types), needs=[]))
    p = await households.add_person(db, actor=coord, scope=scope, household_id=h.id, municipality_id=None,
                                    data=households.PersonInput(name="試験 太郎", kana="シケン タロウ", birth_year=1938))
    if assign:
        await assignments.assign(db, actor=coord, scope=scope, household_id=h.id, user_id=cast.commissioner.id,
                                 role="commissioner")
        await assignments.assign(db, actor=coord, scope=scope, household_id=h.id, user_id=cast.volunteer.id,
                                 role="volunteer")
    return h, p


@pytest.fixture
async def world(db, cast) -> World:
    coord = cast.coordinator
    scope = await build_scope(db, coord)
    o = cast.orgs
    for area, group, category, org in [
        (cast.district_a, "elderly", None, o.support_centre_a),
        (cast.district_b, "elderly", None, o.support_centre_b),
        (None, "children", None, o.child_section),
        (None, None, "isolation", o.shakyo),
    ]:
        await service.save_route(db, actor=coord, scope=scope, municipality_id=cast.city.id,
                                 area_id=area.id if area else None, target_group=group, category=category,
                                 organisation_id=org.id)
    h, p = await make_household(db, cast, cast.hood_a1)
    hb, _ = await make_household(db, cast, cast.hood_b1, assign=False)
    await db.commit()
    return World(cast, h, p, hb)
