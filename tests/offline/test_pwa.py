"""Installable and cache-safe: the manifest, the worker, the offline pages, the round bundle, sign-out."""
from __future__ import annotations

import json
import re
import struct

from sqlalchemy import select

from server.audit.models import AuditEvent
from server.config import WEB
from server.households.models import Person
from tests.helpers import post_form, sign_in
from tests.watchover.builders import household, log


def png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


async def test_the_manifest_is_installable_in_the_persons_language(client):
    r = await client.get("/manifest.webmanifest", headers={"accept-language": "ja"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/manifest+json")
    m = json.loads(r.text)
    assert m["lang"] == "ja" and m["short_name"] == "つなぐ" and m["display"] == "standalone"
    assert m["start_url"] == "/home" and m["scope"] == "/" and m["theme_color"].startswith("#")
    purposes = {i["purpose"] for i in m["icons"]}
    assert {"any", "maskable"} <= purposes
    for icon in m["icons"]:
        assert icon["src"].startswith("/static/icons/") and "?v=" in icon["src"]
        assert (await client.get(icon["src"])).status_code == 200
        if icon["type"] == "image/png":
            w, h = png_size(WEB / "static" / icon["src"].split("?")[0].removeprefix("/static/"))
            assert f"{w}x{h}" == icon["sizes"]
    en = json.loads((await client.get("/manifest.webmanifest", headers={"accept-language": "en"})).text)
    assert en["lang"] == "en" and en["short_name"] == "Tsunagu"


async def test_every_page_links_the_manifest_and_the_offline_script(client):
    r = await client.get("/signin")
    assert '<link rel="manifest" href="/manifest.webmanifest">' in r.text
    assert re.search(r'src="/static/js/offline\.js\?v=\w+"', r.text)


async def test_the_worker_is_served_from_the_root_with_a_version_and_its_precache(client):
    r = await client.get("/sw.js")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
    assert r.headers["cache-control"] == "no-cache"
    version = re.search(r'const VERSION = "(\w+)";', r.text).group(1)
    assert len(version) == 12
    precache = json.loads(re.search(r"const PRECACHE = (\[.*?\]);", r.text).group(1))
    assert "/offline" in precache and "/offline/round" in precache
    assert any(u.startswith("/static/vendor/htmx.min.js?v=") for u in precache)
    for url in precache:
        assert (await client.get(url)).status_code == 200, url


async def test_the_offline_pages_hold_nothing_personal(client, db, sessionmaker, settings, town):
    h = await household(db, town)
    await sign_in(client, sessionmaker, settings, town.vol)
    assert "山田 花子" in (await client.get("/round")).text
    for url in ("/offline", "/offline/round"):
        r = await client.get(url)
        assert r.status_code == 200
        assert "山田 花子" not in r.text and "港町" not in r.text and town.vol.display_name not in r.text
    assert h.id


async def test_the_bundle_is_the_whole_round_summary_without_notes_and_is_audited(client, db, sessionmaker, settings,
                                                                                 town):
    h1 = await household(db, town)
    h2 = await household(db, town, address="港町2-2-2", people=(("佐藤 次郎", "サトウ ジロウ", 1938),))
    await household(db, town, address="港町3-3-3", commissioner="comm2", volunteers=())  # not on the round
    await log(db, town, "vol", h1, note="秘密のメモ", outcome="watch")
    await sign_in(client, sessionmaker, settings, town.vol)
    r = await client.get("/offline/bundle", headers={"accept": "application/json"})
    assert r.status_code == 200
    body = r.json()
    assert {x["id"] for x in body["households"]} == {h1.id, h2.id}
    assert "秘密のメモ" not in r.text and "港町3-3-3" not in r.text
    one = next(x for x in body["households"] if x["id"] == h2.id)
    assert one["members"] == ["佐藤 次郎"] and one["address"] == "港町2-2-2" and one["last_contact_at"] is None
    assert set(one) == {"id", "address", "members", "cadence_days", "last_contact_at", "due_on", "overdue_days"}
    event = (await db.scalars(select(AuditEvent).where(AuditEvent.action == "round.bundle_downloaded"))).one()
    people = (await db.scalars(select(Person.id).where(Person.household_id.in_([h1.id, h2.id])))).all()
    assert event.actor_id == town.vol.id and sorted(event.ids) == sorted(people)
    await db.commit()
    # Staff have no round to carry.
    await sign_in(client, sessionmaker, settings, town.coord)
    assert (await client.get("/offline/bundle", headers={"accept": "application/json"})).status_code == 404


async def test_sign_out_clears_the_site_data(client, db, sessionmaker, settings, town):
    await sign_in(client, sessionmaker, settings, town.vol)
    r = await post_form(client, "/signout")
    assert r.status_code == 303
    assert r.headers["clear-site-data"] == '"cache", "storage"'


async def test_the_install_guidance_covers_android_and_iphone(client):
    r = await client.get("/install", headers={"accept-language": "ja"})
    assert r.status_code == 200
    assert "ホーム画面に追加" in r.text and "7日" in r.text
