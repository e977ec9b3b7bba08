"""A prefecture for the console benchmark: 40 municipalities, 2 million people, 10 years, about
10 million contacts (domain.md: a prefecture of 2M makes ~700,000 commissioner visits a year before
volunteers and salons; we add volunteers' contacts to reach ~1M a year), ~150,000 concerns.

Bulk-loaded with raw sqlite3 executemany into its own database file (var/bench/prefecture.db,
migrated by the real migrations first), then `rollups rebuild` and today's snapshot are run through
the app's own code. `--scale 0.05` makes a twentieth of it (a quick check).

    .venv/bin/python -m bench.prefecture [--scale 1.0] [--path var/bench/prefecture.db]
    .venv/bin/python -m bench.prefecture --scale 0 --postgres postgresql+asyncpg://.../db [--postgres-contacts N]
      (copies the existing SQLite prefecture into PostgreSQL, then rebuilds its rollups there)
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import os
import random
import sqlite3
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PATH = ROOT / "var" / "bench" / "prefecture.db"
MUNICIPALITIES, DISTRICTS, HOODS = 40, 8, 6
PEOPLE = 2_000_000
PEOPLE_PER_HOUSEHOLD = 2.2
YEARS = 10
CONTACTS_PER_YEAR = 1_000_000
CONCERNS_PER_YEAR = 15_000
HOUSEHOLDS_PER_COMMISSIONER = 200
BATCH = 100_000
METHODS = (("visit", 45), ("visit_absent", 8), ("exterior", 12), ("phone", 15), ("greeting", 12), ("salon", 5),
           ("other", 3))
OUTCOMES = (("no_change", 900), ("watch", 80), ("notify", 18), ("emergency", 2))
GROUPS = (("elderly", 56), ("disability", 5), ("children", 21), ("other", 18))
CATEGORIES = (("health", 25), ("dementia", 15), ("isolation", 20), ("money", 10), ("family", 10), ("housing", 5),
              ("abuse", 3), ("disaster", 2), ("other", 10))
URGENCIES = (("emergency", 5), ("soon", 35), ("normal", 60))


def ts(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def weighted(rng: random.Random, table, k: int) -> list[str]:
    return rng.choices([v for v, _w in table], [w for _v, w in table], k=k)


def insert(conn: sqlite3.Connection, table: str, columns: list[str], rows) -> int:
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    n = 0
    it = iter(rows)
    while chunk := list(itertools.islice(it, BATCH)):
        conn.executemany(sql, chunk)
        n += len(chunk)
    return n


def generate(path: Path, scale: float, seed: int = 2026) -> dict:
    rng = random.Random(seed)
    conn = sqlite3.connect(path)
    conn.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA foreign_keys=OFF; "
                       "PRAGMA cache_size=-400000; PRAGMA temp_store=MEMORY;")
    now = dt.datetime.now(dt.UTC)
    created = ts(now - dt.timedelta(days=365 * YEARS + 30))
    # Areas: the prefecture, 40 municipalities of very different sizes, 8 districts × 6 neighbourhoods each.
    area_id = itertools.count(1)
    pref = next(area_id)
    areas = [(pref, None, "prefecture", "ベンチ県", "91", None, None, created)]
    weights = [1 / (i + 1) ** 0.8 for i in range(MUNICIPALITIES)]
    muni_people = [PEOPLE * scale * w / sum(weights) for w in weights]
    hoods_of: dict[int, list[int]] = {}
    orgs = []
    for m in range(MUNICIPALITIES):
        mid = next(area_id)
        areas.append((mid, pref, "municipality", f"ベンチ{m + 1:02d}市", f"91{m + 1:03d}", mid, pref, created))
        orgs.append((mid, mid, "hub", f"ベンチ{m + 1:02d}市 総合相談窓口", created))
        hoods_of[mid] = []
        for d in range(DISTRICTS):
            did = next(area_id)
            areas.append((did, mid, "district", f"第{d + 1}地区", None, mid, pref, created))
            for n in range(HOODS):
                hid = next(area_id)
                areas.append((hid, did, "neighbourhood", f"第{d + 1}地区{n + 1}丁目", None, mid, pref, created))
                hoods_of[mid].append(hid)
    insert(conn, "areas", ["id", "parent_id", "level", "name", "code", "municipality_id", "prefecture_id",
                           "created_at"], areas)
    insert(conn, "organisations", ["id", "municipality_id", "kind", "name", "created_at"], orgs)
    # Households (a third on a watch-over round) and their commissioners and volunteers.
    households, hh_muni, hh_area = [], [], []
    hid = itertools.count(1)
    for mid, people in zip(hoods_of, muni_people, strict=True):
        for _i in range(int(people / PEOPLE_PER_HOUSEHOLD)):
            h = next(hid)
            area = rng.choice(hoods_of[mid])
            watched = rng.random() < 0.35
            cadence, days = rng.choice((("monthly", 30), ("monthly", 30), ("biweekly", 14), ("bimonthly", 60)))
            households.append((h, mid, area, f"ベンチ町{h}", f"ベンチ町{h}", "[]", "[]", cadence, days, watched,
                               "active", created))
            if watched:
                hh_muni.append(mid)
                hh_area.append(h)
    insert(conn, "households", ["id", "municipality_id", "area_id", "address", "address_norm", "types", "needs",
                                "cadence", "cadence_days", "watch_ok", "status", "created_at"], households)
    n_watched = len(hh_area)
    commissioners = max(n_watched // HOUSEHOLDS_PER_COMMISSIONER, 1)
    users = [(u, f"ベンチ委員{u}", "ja", "active", os.urandom(16), created) for u in range(1, commissioners * 3 + 1)]
    insert(conn, "users", ["id", "display_name", "locale", "status", "webauthn_handle", "created_at"], users)
    conn.commit()
    # Contacts: ~1M a year over 10 years, on watched households; 70% by the household's commissioner.
    span = YEARS * 365 * 86400
    start = now - dt.timedelta(seconds=span)
    total = int(CONTACTS_PER_YEAR * YEARS * scale)

    def contacts():
        cid = 0
        while cid < total:
            k = min(BATCH, total - cid)
            methods, outcomes = weighted(rng, METHODS, k), weighted(rng, OUTCOMES, k)
            for j in range(k):
                cid += 1
                i = rng.randrange(n_watched)
                h = hh_area[i]
                commissioner = 1 + i // HOUSEHOLDS_PER_COMMISSIONER % commissioners
                by_commissioner = rng.random() < 0.7
                owner = commissioner if by_commissioner else commissioners + 1 + rng.randrange(commissioners * 2)
                when = ts(start + dt.timedelta(seconds=rng.random() * span))
                yield (cid, hh_muni[i], h, owner, owner, "commissioner" if by_commissioner else "volunteer",
                       f"b{cid}", methods[j], outcomes[j], "[]", when, "[]", by_commissioner, True, when)

    t = time.perf_counter()
    # Secondary indexes are dropped for the load and built once afterwards (much faster than per row).
    indexes = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'contacts' "
                           "AND sql IS NOT NULL").fetchall()
    for name, _sql in indexes:
        conn.execute(f"DROP INDEX {name}")
    n = insert(conn, "contacts", ["id", "municipality_id", "household_id", "author_id", "owner_id", "owner_role",
                                  "client_id", "method", "outcome", "signs", "occurred_at", "met_person_ids",
                                  "counts_as_visit", "counts_for_cadence", "created_at"], contacts())
    for _name, sql in indexes:
        conn.execute(sql)
    conn.commit()
    load_contacts = time.perf_counter() - t
    conn.execute("UPDATE households SET last_contact_at = (SELECT max(occurred_at) FROM contacts "
                 "WHERE contacts.household_id = households.id) WHERE watch_ok")
    # Concerns: acknowledged after a log-normal number of hours, most closed within weeks.
    area_of = {h[0]: h[2] for h in households}

    def concerns():
        for c in range(1, int(CONCERNS_PER_YEAR * YEARS * scale) + 1):
            i = rng.randrange(n_watched)
            h = hh_area[i]
            raised = start + dt.timedelta(seconds=rng.random() * span)
            urgency = weighted(rng, URGENCIES, 1)[0]
            due = raised + {"emergency": dt.timedelta(hours=1), "soon": dt.timedelta(days=1),
                            "normal": dt.timedelta(days=3)}[urgency]
            ack = raised + dt.timedelta(hours=rng.lognormvariate(1.5 if urgency != "emergency" else -0.5, 1.2))
            close = ack + dt.timedelta(days=rng.lognormvariate(2.5, 1.0))
            state = "closed" if close < now else ("in_progress" if ack < now else "new")
            yield (c, hh_muni[i], area_of[h], h, 1 + i // HOUSEHOLDS_PER_COMMISSIONER % commissioners, f"b{c}",
                   weighted(rng, GROUPS, 1)[0], weighted(rng, CATEGORIES, 1)[0], urgency, "welfare", "[]", hh_muni[i],
                   "route", state, ts(raised), ts(due), ts(ack) if ack < now else None,
                   ts(close) if state == "closed" else None, ts(raised))

    insert(conn, "concerns", ["id", "municipality_id", "area_id", "household_id", "reporter_id", "client_id",
                              "target_group", "category", "urgency", "basis", "signs", "organisation_id", "routed_by",
                              "state", "arrived_at", "due_at", "acknowledged_at", "closed_at", "created_at"], concerns())
    conn.commit()
    conn.close()
    return {"households": len(households), "watched": n_watched, "contacts": n, "load_contacts_s": round(load_contacts, 1),
            "areas": len(areas), "users": len(users)}


async def rollups(url: str) -> dict:
    from server.db import make_engine, make_sessionmaker
    from server.rollups.rebuild import rebuild
    from server.rollups.snapshot import take_snapshot

    engine = make_engine(url)
    out = {}
    async with make_sessionmaker(engine)() as session:
        t = time.perf_counter()
        out["rollup_rows"] = await rebuild(session)
        out["rebuild_s"] = round(time.perf_counter() - t, 1)
        t = time.perf_counter()
        out["snapshot_rows"] = await take_snapshot(session)
        out["snapshot_s"] = round(time.perf_counter() - t, 1)
        await session.commit()
    await engine.dispose()
    return out


def main(argv: list[str] | None = None) -> dict:
    from server.migrate import upgrade

    p = argparse.ArgumentParser(prog="bench.prefecture")
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--path", default=str(DEFAULT_PATH))
    p.add_argument("--postgres", help="also copy it into this PostgreSQL database (dropped and re-created)")
    p.add_argument("--postgres-contacts", type=int, default=10_000_000)
    args = p.parse_args(argv)
    path = Path(args.path)
    if args.postgres and path.exists() and args.scale == 0:
        print("postgres:", asyncio.run(copy_to_postgres(path, args.postgres, args.postgres_contacts)))
        return {}
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url)
    t = time.perf_counter()
    stats = generate(path, args.scale)
    stats["generate_s"] = round(time.perf_counter() - t, 1)
    stats.update(asyncio.run(rollups(url)))
    print("prefecture:", stats)
    return stats


async def copy_to_postgres(sqlite_path: Path, pg_url: str, contacts: int) -> dict:
    """The same prefecture on PostgreSQL (the first `contacts` contacts, all the rest): COPY through
    asyncpg into a freshly migrated database, then the app's rebuild and snapshot."""
    import asyncpg

    from server.migrate import upgrade

    base, _, name = pg_url.rpartition("/")
    admin = base.replace("postgresql+asyncpg", "postgresql") + "/postgres"
    conn = await asyncpg.connect(admin)
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    upgrade(pg_url)
    src = sqlite3.connect(sqlite_path)
    dst = await asyncpg.connect(pg_url.replace("postgresql+asyncpg", "postgresql"))
    tables = {
        "areas": ("id, parent_id, level, name, code, municipality_id, prefecture_id, created_at", ""),
        "organisations": ("id, municipality_id, kind, name, created_at", ""),
        "households": ("id, municipality_id, area_id, address, address_norm, types, needs, cadence, cadence_days, "
                       "watch_ok, status, created_at, last_contact_at", ""),
        "users": ("id, display_name, locale, status, webauthn_handle, created_at", ""),
        "contacts": ("id, municipality_id, household_id, author_id, owner_id, owner_role, client_id, method, outcome, "
                     "signs, occurred_at, met_person_ids, counts_as_visit, counts_for_cadence, created_at",
                     f" WHERE id <= {int(contacts)}"),
        "concerns": ("id, municipality_id, area_id, household_id, reporter_id, client_id, target_group, category, "
                     "urgency, basis, signs, organisation_id, routed_by, state, arrived_at, due_at, acknowledged_at, "
                     "closed_at, created_at", ""),
    }
    stamp = {"created_at", "occurred_at", "last_contact_at", "arrived_at", "due_at", "acknowledged_at", "closed_at"}
    flags = {"watch_ok", "counts_as_visit", "counts_for_cadence"}
    counts = {}
    for table, (columns, where) in tables.items():
        cols = [c.strip() for c in columns.split(",")]
        cur = src.execute(f"SELECT {columns} FROM {table}{where}")
        n = 0
        while rows := cur.fetchmany(50_000):
            fixed = []
            for row in rows:
                fixed.append(tuple(
                    (dt.datetime.fromisoformat(v).replace(tzinfo=dt.UTC) if c in stamp and v else
                     bool(v) if c in flags else v) for c, v in zip(cols, row, strict=True)))
            await dst.copy_records_to_table(table, records=fixed, columns=cols)
            n += len(fixed)
        counts[table] = n
    for table in ("areas", "organisations", "households", "users", "contacts", "concerns"):
        await dst.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    await dst.execute("ANALYZE")
    await dst.close()
    src.close()
    counts.update(await rollups(pg_url))
    return counts


if __name__ == "__main__":
    main()
