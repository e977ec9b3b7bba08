"""Offline benchmark: bytes on the wire and the time to replay a full outbox.

1. The round page on a first visit (HTML + every CSS/JS file it loads, htmx included) and on a
   repeat visit (HTML only: assets are cached for a year under content-hashed URLs), gzip -6 as
   a reverse proxy would send them; the worker's precache and the round bundle for 50
   households reported separately. Targets: first visit <= 45 KB, repeat visit <= 5 KB.
2. Replay of 500 sealed entries (10 POST /sync batches of 50, as js/offline.js sends them)
   through the in-process ASGI app on a migrated SQLite file. Target: <= 10 s.
Usage: python -m bench offline
"""
from __future__ import annotations

import asyncio
import gzip
import json
import re
import tempfile
import time
from pathlib import Path

SECRET = "bench-secret-key-0123456789-0123456789-abcdef"


def gz(data: bytes) -> int:
    return len(gzip.compress(data, 6))


async def run() -> dict:
    from litestar.testing import AsyncTestClient

    from server import sealing
    from server.app import create_app
    from server.audit import service as audit_service
    from server.config import load
    from server.db import make_engine, make_sessionmaker
    from server.migrate import upgrade
    from tests.helpers import csrf, sign_in
    from tests.offline.phone import Phone
    from tests.watchover.builders import household
    from tests.watchover.conftest import make_town

    tmp = Path(tempfile.mkdtemp(prefix="tsunagu-bench-offline-"))
    url = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    upgrade(url)
    settings = load({"TSUNAGU_DATABASE_URL": url, "TSUNAGU_SECRET_KEY": SECRET,
                     "TSUNAGU_AUDIT_HEAD_FILE": str(tmp / "heads.log")})
    audit_service.configure(settings.secret_key)
    sealing.configure(settings.data_key)
    engine = make_engine(url)
    sessionmaker = make_sessionmaker(engine)
    async with sessionmaker() as db:
        town = await make_town(db)
        town.comm.locale = "ja"
        homes = [await household(db, town, address=f"みどり町{i + 1}丁目{i % 9 + 1}-{i % 7 + 1}", volunteers=(),
                                 people=((f"見守 太郎{i}", "ミマモリ タロウ", 1940),)) for i in range(50)]
        await db.commit()
        comm = town.comm
    out: dict = {}
    app = create_app(settings)
    async with AsyncTestClient(app=app, base_url="http://localhost:8000") as client:
        await sign_in(client, sessionmaker, settings, comm)
        r = await client.get("/round")
        html = r.content
        assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', r.text)
        sizes = {a.split("?")[0]: gz((await client.get(a)).content) for a in assets
                 if a.endswith(tuple([".css", ".js"])) or ".css?" in a or ".js?" in a}
        out["round_html_gz"] = gz(html)
        out["first_visit_gz"] = gz(html) + sum(sizes.values())
        out["first_visit_parts"] = sizes
        out["repeat_visit_gz"] = gz(html)
        sw = (await client.get("/sw.js")).text
        precache = json.loads(re.search(r"const PRECACHE = (\[.*?\]);", sw).group(1))
        out["precache_gz"] = sum([gz((await client.get(u)).content) for u in precache]) + gz(sw.encode())
        bundle = (await client.get("/offline/bundle", headers={"accept": "application/json"})).content
        out["bundle_50_gz"] = gz(bundle)
        out["bundle_50_raw"] = len(bundle)
        phone = Phone(client)
        await phone.fetch_key()
        entries = [phone.contact(homes[i % 50].id, outcome="no_change") for i in range(500)]
        await csrf(client)
        started = time.perf_counter()
        for i in range(0, 500, 50):
            r = await phone.send(entries[i:i + 50])
            assert r.status_code == 200 and all(x["status"] == "stored" for x in r.json()["results"]), r.text[:300]
        out["replay_500_s"] = round(time.perf_counter() - started, 2)
    await engine.dispose()
    return out


def main(argv: list[str] | None = None) -> None:
    result = asyncio.run(run())
    print("round page, first visit (gzip):", f"{result['first_visit_gz'] / 1024:.1f} KB",
          {k: v for k, v in result["first_visit_parts"].items()}, f"html {result['round_html_gz']} B")
    print("round page, repeat visit (HTML only, gzip):", f"{result['repeat_visit_gz'] / 1024:.1f} KB")
    print("worker precache (gzip):", f"{result['precache_gz'] / 1024:.1f} KB")
    print("round bundle, 50 households:", f"{result['bundle_50_gz'] / 1024:.1f} KB gzip",
          f"({result['bundle_50_raw'] / 1024:.1f} KB raw)")
    print("replay of 500 sealed entries:", f"{result['replay_500_s']} s")


if __name__ == "__main__":
    main()
