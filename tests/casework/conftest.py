"""The casework tests use the cast (tests/personas.py) and an "8050" household in hood_a1: a father
(85) and a son (54). A concern about it (isolation) is routed to the council of social welfare,
where the CSW works, so the CSW's organisation works with the household. Both members consent to
sharing with professionals; a 支援会議 has the council and 北地域包括 (not 南地域包括) as members."""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import pytest

from server import sealing
from server.casework import service
from server.concerns import service as concerns
from server.households import service as households
from server.scope import build_scope
from tests.concerns.conftest import make_household


@pytest.fixture(autouse=True)
def _data_key(settings):
    sealing.configure(settings.data_key)


@dataclass
class World:
    cast: object
    household: object
    father: object
    son: object
    concern: object
    meeting: object


async def scope_of(db, user):
    return await build_scope(db, user)


async def consent(db, cast, person, given=True) -> None:
    await households.record_consent(db, actor=cast.coordinator, scope=await scope_of(db, cast.coordinator),
                                    person_id=person.id, purpose="share", given=given,
                                    given_on=dt.date(2026, 4, 1), given_by="self", method="paper")


@pytest.fixture
async def world(db, cast) -> World:
    coord = cast.coordinator
    cscope = await scope_of(db, coord)
    await concerns.save_route(db, actor=coord, scope=cscope, municipality_id=cast.city.id, area_id=None,
                              target_group=None, category="isolation", organisation_id=cast.orgs.shakyo.id)
    h, father = await make_household(db, cast, cast.hood_a1, types=("elderly_only",))
    son = await households.add_person(db, actor=coord, scope=cscope, household_id=h.id, municipality_id=None,
                                      data=households.PersonInput(name="試験 一郎", kana="シケン イチロウ", birth_year=1972))
    await consent(db, cast, father)
    await consent(db, cast, son)
    concern, _ = await concerns.raise_concern(db, actor=cast.commissioner, client_id=uuid.uuid4().hex,
                                              household_id=h.id, target_group="other", category="isolation",
                                              urgency="normal", seen="息子さんが長く外に出ていない様子")
    assert concern.organisation_id == cast.orgs.shakyo.id
    meeting = await service.save_meeting(db, actor=coord, scope=cscope, municipality_id=cast.city.id, meeting_id=None,
                                         name="つなぐ市支援会議", law="社会福祉法第106条の6",
                                         member_ids=[cast.orgs.shakyo.id, cast.orgs.support_centre_a.id])
    await db.commit()
    return World(cast, h, father, son, concern, meeting)


SECTIONS = {"composition": "父（85）と長男（54）の二人暮らし", "money": "年金のみで生活", "health": "父は心疾患で通院",
            "wishes": "父は息子の将来を心配している"}


async def start_sheet(db, world, kind="intake", sections=None):
    csw = world.cast.csw
    return await service.start_sheet(db, actor=csw, scope=await scope_of(db, csw), household_id=world.household.id,
                                     kind=kind, sections=sections or SECTIONS, concern_id=world.concern.id)
