"""Builders that make test data through the service functions, as the app would."""
from __future__ import annotations

import datetime as dt
import uuid

from server.assignments import service as assignments
from server.contacts import service as contacts
from server.households import service as households
from server.households.models import Household
from server.scope import build_scope


async def household(db, town, *, area=None, people=(("山田 花子", "ヤマダ ハナコ", 1940),), commissioner="comm",
                    volunteers=("vol",), cadence="weekly", consent=None, address="港町1-2-3") -> Household:
    """A household with people (name, kana, birth year), assigned; consent=None leaves the
    municipality's model to decide (presumed by default), "given"/"refused" records it explicitly."""
    coord = town.coord
    scope = await build_scope(db, coord)
    h = await households.create_household(db, actor=coord, scope=scope, data=households.HouseholdInput(
        area_id=(area or town.n1).id, address=address, types=["elderly_alone"], needs=[], cadence=cadence))
    for name, kana, year in people:
        p = await households.add_person(db, actor=coord, scope=scope, household_id=h.id, municipality_id=None,
                                        data=households.PersonInput(name=name, kana=kana, birth_year=year))
        if consent:
            await households.record_consent(db, actor=coord, scope=scope, person_id=p.id, purpose="watch",
                                            given=consent == "given", given_on=dt.date(2026, 4, 1),
                                            given_by="self", method="paper")
    if commissioner:
        await assignments.assign(db, actor=coord, scope=scope, household_id=h.id,
                                 user_id=town.users[commissioner].id, role="commissioner")
    for v in volunteers or ():
        await assignments.assign(db, actor=coord, scope=scope, household_id=h.id, user_id=town.users[v].id,
                                 role="volunteer")
    await db.commit()
    await db.refresh(h)
    await db.commit()  # release SQLite's write lock (every transaction is BEGIN IMMEDIATE)
    return h


def cid() -> str:
    return uuid.uuid4().hex


async def log(db, town, user: str, h: Household, **kw):
    actor = town.users[user]
    scope = await build_scope(db, actor)
    on_behalf = kw.pop("on_behalf_of", None)
    data = contacts.ContactInput(household_id=h.id, client_id=kw.pop("client_id", None) or cid(),
                                 method=kw.pop("method", "visit"), **kw)
    row, created = await contacts.log_contact(db, actor=actor, scope=scope, data=data, on_behalf_of=on_behalf)
    await db.commit()
    return row, created
