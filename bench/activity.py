"""Activity-record benchmark: the prefecture's table for a prefecture of about 2 million people.

A synthetic prefecture (SQLite, bulk-loaded, no audit rows): 20 municipalities of 200 commissioners
(4,000 in all, 4 councils each), last month's contacts at the rates of domain.md (about 14.5 a
commissioner, 58,000 in all, 15% with a 相談・支援 item, some liaisons) and about 10 activity
entries each. Measured, in-process (the service function the page and the export call):

1. the prefectural table compiled live from the contacts (no municipality has compiled);
2. each municipality marking its compilation done (one municipal table + snapshot each);
3. the prefectural table when every municipality has compiled (read from the snapshots), and
   when half have.

Usage: python -m bench activity [--regen]
"""
from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import statistics
import time
import uuid

from sqlalchemy import delete, event, insert, select
from sqlalchemy.engine import Engine

from server.config import VAR
from server.db import make_engine, make_sessionmaker

DB = VAR / "bench" / "activity.db"
CITIES = 20
PER_CITY = 200
COUNCILS = 4
CONTACTS_PER = 14.5
ACTIVITIES_PER = 10
RUNS = 3
CHUNK = 5_000

_queries = 0


def _count(_conn, _cursor, statement: str, *_args) -> None:
    global _queries
    if not statement.lstrip().upper().startswith("BEGIN"):
        _queries += 1


async def _bulk(session, model, rows: list[dict]) -> list[int]:
    ids: list[int] = []
    for i in range(0, len(rows), CHUNK):
        ids += list((await session.scalars(insert(model).returning(model.id, sort_by_parameter_order=True),
                                           rows[i:i + CHUNK])).all())
    return ids


async def build(session, year: int, month: int, rng: random.Random) -> int:
    """The prefecture; returns its area id."""
    from server.areas.models import Area, Organisation
    from server.contacts.models import (
        CONTENTS,
        FIELDS,
        LIAISON_WITH,
        OTHER_ACTIVITIES,
        Activity,
        ActivityItem,
        Contact,
    )
    from server.db import utcnow
    from server.households.models import Household
    from server.i18n import TOKYO
    from server.text import normalise
    from server.users.models import RoleGrant, User

    now = utcnow()
    since = now - dt.timedelta(days=800)
    pref = Area(level="prefecture", name="ベンチ県", code="91")
    session.add(pref)
    await session.flush()
    last_day = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
    contacts, coded, activities = [], [], []
    for n in range(CITIES):
        city = Area(level="municipality", name=f"ベンチ市{n + 1:02d}", code=f"91{n + 1:03d}", parent_id=pref.id,
                    prefecture_id=pref.id)
        session.add(city)
        await session.flush()
        city.municipality_id = city.id
        councils = []
        for k in range(COUNCILS):
            org = Organisation(municipality_id=city.id, kind="council", name=f"ベンチ市{n + 1:02d}第{k + 1}民児協")
            session.add(org)
            councils.append(org)
        await session.flush()
        users = await _bulk(session, User, [{"display_name": f"委員 {n}-{i}", "status": "active",
                                             "municipality_id": city.id, "locale": "ja",
                                             "webauthn_handle": os.urandom(32), "created_at": now}
                                            for i in range(PER_CITY)])
        await _bulk(session, RoleGrant, [{"user_id": u, "role": "commissioner", "municipality_id": city.id,
                                          "organisation_id": councils[i % COUNCILS].id, "valid_from": since,
                                          "chief_child": False} for i, u in enumerate(users)])
        homes = await _bulk(session, Household, [{
            "municipality_id": city.id, "area_id": city.id, "address": f"ベンチ市{n}-{i}",
            "address_norm": normalise(f"ベンチ市{n}-{i}"), "types": ["elderly_alone"], "needs": [],
            "cadence": "monthly", "cadence_days": 30, "status": "active", "watch_ok": True, "created_at": now}
            for i in range(PER_CITY)])
        for u, home in zip(users, homes, strict=True):
            for _ in range(int(CONTACTS_PER) + (rng.random() < CONTACTS_PER % 1)):
                when = dt.datetime(year, month, rng.randint(1, last_day), rng.randint(8, 19), tzinfo=TOKYO)
                cid = uuid.UUID(int=rng.getrandbits(128)).hex
                contacts.append({"municipality_id": city.id, "household_id": home, "author_id": u, "owner_id": u,
                                 "owner_role": "commissioner", "client_id": cid, "method": "visit",
                                 "outcome": "no_change", "signs": [], "met_person_ids": [], "occurred_at": when,
                                 "counts_as_visit": True, "counts_for_cadence": True, "created_at": now})
                items = []
                if rng.random() < 0.15:
                    items.append({"kind": "consult", "field": rng.choice(FIELDS), "content": rng.choice(CONTENTS)})
                if rng.random() < 0.1:
                    items.append({"kind": "liaison", "liaison_with": rng.choice(LIAISON_WITH)})
                coded.append(items)
            for _ in range(ACTIVITIES_PER):
                activities.append({"municipality_id": city.id, "author_id": u, "owner_id": u,
                                   "client_id": uuid.UUID(int=rng.getrandbits(128)).hex,
                                   "kind": rng.choice(OTHER_ACTIVITIES), "created_at": now,
                                   "occurred_on": dt.date(year, month, rng.randint(1, last_day))})
    contact_ids = await _bulk(session, Contact, contacts)
    await _bulk(session, ActivityItem, [dict(item, contact_id=cid) for cid, items in zip(contact_ids, coded, strict=True)
                                        for item in items])
    await _bulk(session, Activity, activities)
    await session.flush()
    return pref.id


def _time(samples: list[float]) -> str:
    return f"median {statistics.median(samples):6.2f} s (min {min(samples):.2f}, max {max(samples):.2f})"


async def run(regen: bool) -> list[str]:
    from server.activity import queries, service
    from server.activity.models import Compilation
    from server.areas.models import Area
    from server.migrate import upgrade

    url = f"sqlite+aiosqlite:///{DB}"
    year, month = service.last_month()
    meta = DB.with_suffix(".ids")
    if regen or not DB.exists() or not meta.exists() or meta.read_text().split()[1:] != [str(year), str(month)]:
        DB.parent.mkdir(parents=True, exist_ok=True)
        for p in DB.parent.glob("activity.db*"):
            p.unlink()
        upgrade(url)
        engine = make_engine(url)
        started = time.perf_counter()
        async with make_sessionmaker(engine)() as session:
            pref_id = await build(session, year, month, random.Random(2_000_000))
            await session.commit()
        await engine.dispose()
        meta.write_text(f"{pref_id} {year} {month}")
        print(f"generated the prefecture in {time.perf_counter() - started:.1f} s")
    else:
        upgrade(url)
    pref_id = int(meta.read_text().split()[0])
    engine = make_engine(url)
    lines = []
    global _queries
    event.listen(Engine, "before_cursor_execute", _count)
    try:
        async with make_sessionmaker(engine)() as session:
            await session.execute(delete(Compilation))
            await session.commit()
            pref = await session.get(Area, pref_id)
            cities = list((await session.scalars(select(Area).where(Area.parent_id == pref_id)
                                                 .order_by(Area.code))).all())

            async def measure(label: str) -> queries.Table:
                global _queries
                samples, table = [], None
                for _ in range(RUNS):
                    _queries = 0
                    started = time.perf_counter()
                    table = await queries.prefecture_table(session, pref, [(year, month)])
                    samples.append(time.perf_counter() - started)
                    await session.commit()
                lines.append(f"{label:44} {_time(samples)}  queries {_queries}")
                return table

            live = await measure("prefectural table, live (nothing compiled)")
            n_contacts = live.total["visits"]
            samples = []
            for i, city in enumerate(cities):
                _queries = 0
                started = time.perf_counter()
                table = await queries.municipality_table(session, city, [(year, month)], "所属なし")
                session.add(Compilation(level="municipality", unit_id=city.id, year=year, month=month,
                                        figures=queries.snapshot(table), compiled_by=1))
                await session.flush()
                samples.append(time.perf_counter() - started)
                if i + 1 == CITIES // 2:
                    await session.commit()
                    await measure(f"prefectural table, {CITIES // 2} of {CITIES} compiled")
            await session.commit()
            lines.append(f"{'one municipality compiles (table + snapshot)':44} {_time(samples)}  "
                         f"queries {_queries}")
            snap = await measure(f"prefectural table, all {CITIES} compiled")
            assert snap.total == live.total, "the snapshots must add up to the live figures"
            await session.execute(delete(Compilation))
            await session.commit()
    finally:
        event.remove(Engine, "before_cursor_execute", _count)
        await engine.dispose()
    lines.insert(0, f"{CITIES} municipalities, {CITIES * PER_CITY} commissioners, {n_contacts} visits in "
                    f"{year}-{month:02d}; {RUNS} runs each")
    return lines


def main(args: list[str]) -> None:
    print(f"activity-record benchmark on {DB} ({os.cpu_count()} CPUs)")
    for line in asyncio.run(run("--regen" in args)):
        print("  " + line)
