"""A 100,000-person city, bulk-loaded (Core inserts, no audit rows): the rates of domain.md.

About 45,000 households in 20 neighbourhoods of 6 districts, 200 commissioners (one of them,
the benchmark's, with 400 households), 400 volunteers, a year of contacts (~35,000 commissioner
visits plus volunteers' contacts), some consultation items and open revisits.
"""
from __future__ import annotations

import datetime as dt
import os
import random
import uuid

from sqlalchemy import insert, select

from server.areas.models import Area, Organisation, OrganisationArea
from server.assignments.models import Assignment
from server.contacts.models import ActivityItem, Contact, Revisit
from server.db import utcnow
from server.households.models import Household, Person
from server.text import normalise
from server.users.models import AreaGrant, RoleGrant, User

PEOPLE = 100_000
HOUSEHOLDS = 45_000
COMMISSIONERS = 200
VOLUNTEERS = 400
HOODS = 20
DISTRICTS = 6
BENCH_HOUSEHOLDS = 400  # the measured commissioner's round
CHUNK = 5_000
EPOCH = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


async def _bulk(session, model, rows: list[dict]) -> None:
    for i in range(0, len(rows), CHUNK):
        await session.execute(insert(model), rows[i:i + CHUNK])


async def build(session, *, rng: random.Random | None = None) -> dict:
    rng = rng or random.Random(100_000)
    now = utcnow()
    pref = Area(level="prefecture", name="ベンチ県", code="90")
    session.add(pref)
    await session.flush()
    city = Area(level="municipality", name="ベンチ市", code="90201", parent_id=pref.id, prefecture_id=pref.id)
    session.add(city)
    await session.flush()
    city.municipality_id = city.id
    hoods = []
    for d in range(DISTRICTS):
        district = Area(level="district", name=f"第{d + 1}地区", parent_id=city.id, municipality_id=city.id,
                        prefecture_id=pref.id)
        session.add(district)
        await session.flush()
        for n in range(HOODS // DISTRICTS + (1 if d < HOODS % DISTRICTS else 0)):
            hood = Area(level="neighbourhood", name=f"第{d + 1}地区{n + 1}丁目", code=f"B{d + 1}-{n + 1}",
                        parent_id=district.id, municipality_id=city.id, prefecture_id=pref.id)
            session.add(hood)
            hoods.append(hood)
    council = Organisation(municipality_id=city.id, kind="council", name="ベンチ民児協")
    session.add(council)
    await session.flush()
    session.add(OrganisationArea(organisation_id=council.id, area_id=city.id))

    def user(name: str) -> dict:
        return {"display_name": name, "status": "active", "municipality_id": city.id, "locale": "ja",
                "webauthn_handle": os.urandom(32), "created_at": now}

    coordinator = User(**user("調整 担当"))
    session.add(coordinator)
    await session.flush()
    session.add(RoleGrant(user_id=coordinator.id, role="coordinator", municipality_id=city.id, valid_from=EPOCH))
    commissioners = list((await session.scalars(insert(User).returning(User.id, sort_by_parameter_order=True),
                                                [user(f"委員 {i}") for i in range(COMMISSIONERS)])).all())
    volunteers = list((await session.scalars(insert(User).returning(User.id, sort_by_parameter_order=True),
                                             [user(f"福祉員 {i}") for i in range(VOLUNTEERS)])).all())
    await _bulk(session, RoleGrant, [{"user_id": u, "role": "commissioner", "municipality_id": city.id,
                                      "organisation_id": council.id, "valid_from": EPOCH, "chief_child": False}
                                     for u in commissioners] +
                [{"user_id": u, "role": "volunteer", "municipality_id": city.id, "valid_from": EPOCH,
                  "chief_child": False} for u in volunteers])
    await _bulk(session, AreaGrant, [{"user_id": u, "area_id": hoods[i % len(hoods)].id, "valid_from": EPOCH}
                                     for i, u in enumerate(commissioners + volunteers)])
    # Households: the bench commissioner (commissioners[0]) gets 400, the others share the rest.
    rows = []
    for i in range(HOUSEHOLDS):
        hood = hoods[i % len(hoods)]
        address = f"{hood.name}{i // 100}-{i % 100}"
        last = now - dt.timedelta(days=rng.randint(0, 70), hours=rng.randint(0, 23)) if rng.random() < 0.85 else None
        rows.append({"municipality_id": city.id, "area_id": hood.id, "address": address,
                     "address_norm": normalise(address), "types": [rng.choice(["elderly_alone", "elderly_only"])],
                     "needs": [], "cadence": "monthly", "cadence_days": rng.choice([7, 14, 30, 30, 60]),
                     "last_contact_at": last, "status": "active" if rng.random() > 0.03 else "paused",
                     "watch_ok": True, "created_at": now})
    household_ids = []
    for i in range(0, len(rows), CHUNK):
        household_ids += list((await session.scalars(
            insert(Household).returning(Household.id, sort_by_parameter_order=True), rows[i:i + CHUNK])).all())
    people = []
    for i, hid in enumerate(household_ids):
        for k in range(3 if i < PEOPLE - 2 * HOUSEHOLDS else 2):  # 10,000 of three, 35,000 of two: 100,000
            kana = f"ベンチ {i}-{k}"
            people.append({"municipality_id": city.id, "household_id": hid, "name": f"住民 {i}-{k}", "kana": kana,
                           "kana_norm": normalise(kana), "name_norm": normalise(f"住民 {i}-{k}"),
                           "birth_year": rng.randint(1930, 2015), "emergency_contacts": [], "needs": [],
                           "evacuation_support": rng.random() < 0.1, "watch_ok": True, "created_at": now})
    await _bulk(session, Person, people)
    assignments = []
    for i, hid in enumerate(household_ids):
        owner = commissioners[0] if i < BENCH_HOUSEHOLDS else commissioners[1 + i % (COMMISSIONERS - 1)]
        assignments.append({"household_id": hid, "user_id": owner, "role": "commissioner", "valid_from": EPOCH})
        if i % 3 == 0:
            assignments.append({"household_id": hid, "user_id": volunteers[i % VOLUNTEERS], "role": "volunteer",
                                "valid_from": EPOCH})
    await _bulk(session, Assignment, assignments)
    # A year of contacts: ~35,000 by commissioners and ~25,000 by volunteers.
    contacts = []
    for n in range(60_000):
        i = rng.randrange(HOUSEHOLDS)
        by_commissioner = n < 35_000
        owner = (commissioners[0] if i < BENCH_HOUSEHOLDS else commissioners[1 + i % (COMMISSIONERS - 1)]) \
            if by_commissioner else volunteers[i % VOLUNTEERS]
        contacts.append({"municipality_id": city.id, "household_id": household_ids[i], "author_id": owner,
                         "owner_id": owner, "owner_role": "commissioner" if by_commissioner else "volunteer",
                         "client_id": uuid.UUID(int=rng.getrandbits(128)).hex, "method": "visit",
                         "outcome": "no_change", "signs": [], "met_person_ids": [],
                         "occurred_at": now - dt.timedelta(days=rng.randint(0, 365), minutes=rng.randint(0, 1440)),
                         "counts_as_visit": by_commissioner, "counts_for_cadence": True, "created_at": now})
    contact_ids = []
    for i in range(0, len(contacts), CHUNK):
        contact_ids += list((await session.scalars(
            insert(Contact).returning(Contact.id, sort_by_parameter_order=True), contacts[i:i + CHUNK])).all())
    await _bulk(session, ActivityItem, [{"contact_id": c, "kind": "consult", "field": "elderly",
                                         "content": "daily_support"} for c in contact_ids[:3_000]])
    await _bulk(session, Revisit, [{"household_id": contacts[k]["household_id"], "contact_id": contact_ids[k],
                                    "user_id": contacts[k]["owner_id"], "due_on": now.date(), "created_at": now}
                                   for k in range(0, 60_000, 200)])
    await session.flush()
    bench_household = household_ids[0]
    return {"municipality_id": city.id, "coordinator": coordinator.id, "commissioner": commissioners[0],
            "commissioners": commissioners, "volunteers": volunteers, "household": bench_household,
            "household_ids": household_ids}


async def counts(session) -> dict:
    from sqlalchemy import func

    return {m.__tablename__: await session.scalar(select(func.count()).select_from(m))
            for m in (Household, Person, Assignment, Contact, User)}
