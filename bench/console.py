"""Console timings at prefecture scale (on var/bench/prefecture.db made by bench.prefecture).

Server time of console_page() (the whole page's data: sub-area table, every figure, durations):
- one municipality, a month, exact counts (a coordinator or municipal analyst);
- the whole prefecture, a month: published (a prefecture analyst: suppression over the whole
  prefecture's cube, cold and then warm) and exact (for comparison);
- the same prefecture-wide month's sub-area contact counts computed from the raw rows;
- the 10-year trend, municipality × month contacts: rollups vs a raw SQLite GROUP BY vs DuckDB
  scanning the same raw rows (DuckDB is the optional `bench` extra, never a runtime dependency).

    .venv/bin/python -m bench console [--runs 20] [--path var/bench/prefecture.db] [--no-duckdb]
"""
from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import json
import time
from pathlib import Path

from sqlalchemy import select, text

from bench.prefecture import DEFAULT_PATH

ROOT = Path(__file__).resolve().parent.parent


def pct(samples: list[float], q: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def summary(samples: list[float]) -> dict:
    return {"p50_ms": round(pct(samples, 0.5) * 1000, 1), "p95_ms": round(pct(samples, 0.95) * 1000, 1),
            "runs": len(samples)}


async def timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        await fn()
        out.append(time.perf_counter() - t)
    return out


async def run(path: Path, runs: int, duck: bool, url: str | None = None) -> dict:
    from server.areas.models import Area
    from server.console import data
    from server.console.access import Access
    from server.console.views import console_page
    from server.db import make_engine, make_sessionmaker
    from server.i18n import TOKYO

    url = url or f"sqlite+aiosqlite:///{path}"
    pg = url.startswith("postgresql")
    engine = make_engine(url)
    maker = make_sessionmaker(engine)
    today = dt.datetime.now(TOKYO).date()
    last = (today.replace(day=1) - dt.timedelta(days=1))
    month = f"{last.year}-{last.month:02d}"
    out: dict = {"month": month}
    async with maker() as s:
        pref = (await s.scalars(select(Area).where(Area.level == "prefecture"))).first()
        muni = (await s.scalars(select(Area).where(Area.level == "municipality").order_by(Area.id))).first()
        await s.commit()
    exact_muni = Access(muni, exact=True, coordinator=True, prefecture_id=pref.id)
    published = Access(pref, exact=False, coordinator=False, prefecture_id=pref.id)
    exact_pref = Access(pref, exact=True, coordinator=False, prefecture_id=pref.id)

    async def page(access, area):
        async with maker() as s:
            await console_page(s, access=access, area=area, period_code=month, locale="ja")
            await s.commit()

    await page(exact_muni, muni)  # warm the caches of SQLite and the templates' imports
    out["municipality_month_exact"] = summary(await timed(lambda: page(exact_muni, muni), runs))
    out["prefecture_month_exact"] = summary(await timed(lambda: page(exact_pref, pref), runs))
    data.clear_cache()
    out["prefecture_month_published_cold"] = summary(await timed(lambda: page(published, pref), 1))
    out["prefecture_month_published_warm"] = summary(await timed(lambda: page(published, pref), runs))

    y, m = int(month[:4]), int(month[5:])
    start = dt.datetime(y, m, 1, tzinfo=TOKYO).astimezone(dt.UTC).replace(tzinfo=None)
    end = dt.datetime(y + (m == 12), m % 12 + 1, 1, tzinfo=TOKYO).astimezone(dt.UTC).replace(tzinfo=None)
    raw_month = text("SELECT c.municipality_id, c.method, count(*) FROM contacts c WHERE c.occurred_at >= :a "
                     "AND c.occurred_at < :b AND c.superseded_at IS NULL AND c.withdrawn_at IS NULL GROUP BY 1, 2")

    async def raw():
        async with maker() as s:
            bounds = ({"a": start.replace(tzinfo=dt.UTC), "b": end.replace(tzinfo=dt.UTC)} if pg
                      else {"a": str(start), "b": str(end)})
            (await s.execute(raw_month, bounds)).all()
            await s.commit()

    out["prefecture_month_contacts_from_raw_rows"] = summary(await timed(raw, max(3, runs // 4)))

    async with maker() as s:
        munis = (await s.scalars(select(Area.id).where(Area.level == "municipality", Area.prefecture_id == pref.id))).all()
        await s.commit()
    trend_rollups = text(f"SELECT area_id, month, sum(n) FROM rollup_counts WHERE area_id IN ({','.join(map(str, munis))}) "
                         "AND measure = 'contacts.method' GROUP BY 1, 2")
    month_sql = ("CAST(to_char(occurred_at AT TIME ZONE 'Asia/Tokyo', 'YYYYMM') AS INTEGER)" if pg
                 else "CAST(strftime('%Y%m', occurred_at, '+9 hours') AS INTEGER)")
    trend_raw = text(f"SELECT municipality_id, {month_sql}, count(*) "
                     "FROM contacts WHERE superseded_at IS NULL AND withdrawn_at IS NULL GROUP BY 1, 2")

    async def q(stmt):
        async with maker() as s:
            rows = (await s.execute(stmt)).all()
            await s.commit()
            return rows

    t = time.perf_counter()
    rolled = await q(trend_rollups)
    out["trend_10y_rollups"] = summary([time.perf_counter() - t] + await timed(lambda: q(trend_rollups), runs - 1))
    t = time.perf_counter()
    raw_rows = await q(trend_raw)
    out["trend_10y_raw_rows"] = summary([time.perf_counter() - t])
    assert sorted(map(tuple, rolled)) == sorted(map(tuple, raw_rows)), "rollups disagree with the raw rows"
    await engine.dispose()
    if duck and not pg:
        out.update(duckdb_trend(path, runs, len(raw_rows)))
    return out


def duckdb_trend(path: Path, runs: int, expect_rows: int) -> dict:
    """DuckDB scanning the same raw rows: exported once to CSV (not timed), loaded into a DuckDB
    table (timed apart), then the same GROUP BY timed."""
    import sqlite3

    import duckdb

    csv_path = path.with_suffix(".contacts.csv")
    if not csv_path.exists():
        src = sqlite3.connect(path)
        with open(csv_path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["municipality_id", "occurred_at", "superseded_at", "withdrawn_at"])
            cur = src.execute("SELECT municipality_id, occurred_at, superseded_at, withdrawn_at FROM contacts")
            while rows := cur.fetchmany(100_000):
                w.writerows(rows)
        src.close()
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    t = time.perf_counter()
    con.execute(f"CREATE TABLE contacts AS SELECT * FROM read_csv('{csv_path}', header=true, "
                "columns={'municipality_id': 'INTEGER', 'occurred_at': 'TIMESTAMP', 'superseded_at': 'TIMESTAMP', "
                "'withdrawn_at': 'TIMESTAMP'})")
    load = time.perf_counter() - t
    # year * 100 + month rather than strftime: DuckDB's fastest form of the same grouping.
    query = ("SELECT municipality_id, year(occurred_at + INTERVAL 9 HOUR) * 100 + month(occurred_at + INTERVAL 9 HOUR) "
             "AS month, count(*) FROM contacts WHERE superseded_at IS NULL AND withdrawn_at IS NULL GROUP BY 1, 2")
    samples = []
    for _ in range(max(runs // 2, 3)):
        t = time.perf_counter()
        rows = con.execute(query).fetchall()
        samples.append(time.perf_counter() - t)
    assert expect_rows is None or len(rows) == expect_rows
    con.close()
    return {"trend_10y_duckdb": summary(samples), "duckdb_load_s": round(load, 1),
            "duckdb_threads": "default"}


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(prog="bench console")
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--path", default=str(DEFAULT_PATH))
    p.add_argument("--no-duckdb", action="store_true")
    p.add_argument("--url", help="a PostgreSQL URL made by `bench.prefecture --postgres` (default: the SQLite file)")
    args = p.parse_args([a for a in (argv or []) if a.startswith("--")] if argv is not None else None)
    path = Path(args.path)
    if not args.url and not path.exists():
        # `make bench` on a fresh machine: make the prefecture first (about 10 minutes on 2 cores).
        from bench import prefecture

        print(f"{path} is missing: generating it (python -m bench.prefecture)")
        prefecture.main(["--path=" + str(path)])
    result = asyncio.run(run(path, args.runs, not args.no_duckdb, args.url))
    out = ROOT / "var" / "bench" / ("console-pg.json" if args.url else "console.json")
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    for k, v in result.items():
        print(f"{k:45s} {v}")
    return result


if __name__ == "__main__":
    main()
