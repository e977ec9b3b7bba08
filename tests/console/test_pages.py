"""The console page, the records behind a count, exports and who may open them (on the demo town)."""
from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select, update

from server.areas.models import Area
from server.audit.models import AuditEvent
from server.auth.models import WebSession
from tests.helpers import sign_in


async def as_(client, sessionmaker, settings, user):
    client.cookies.clear()
    await sign_in(client, sessionmaker, settings, user)


@pytest.mark.calendar
async def test_coordinator_answers_the_question_in_three_clicks(client, sessionmaker, settings, town):
    users, areas = town
    await as_(client, sessionmaker, settings, users["社協コーディネーター"])
    home = await client.get("/home")
    assert 'href="/console"' in home.text  # click 1: home → console
    page = await client.get("/console")
    assert page.status_code == 200
    assert "みどり市" in page.text and 'id="attention"' in page.text
    unseen = re.search(r'href="(/console/records\?area=\d+&amp;kind=unseen)"', page.text)
    past = re.search(r'href="(/console/records\?area=\d+&amp;kind=past_target)"', page.text)
    assert unseen and past
    listed = await client.get(unseen[1].replace("&amp;", "&"))  # click 2: the households behind the count
    assert listed.status_code == 200 and 'href="/households/' in listed.text
    concerns = await client.get(past[1].replace("&amp;", "&"))  # click 3: the concerns past target
    assert concerns.status_code == 200 and 'href="/concerns/' in concerns.text
    async with sessionmaker() as s:
        actions = (await s.scalars(select(AuditEvent.action).where(AuditEvent.action == "console.records_viewed"))).all()
    assert len(actions) == 2
    # ... and each record opens on its own page.
    for listing in (listed, concerns):
        target = re.search(r'href="(/(?:households|concerns)/\d+)"', listing.text)[1]
        assert (await client.get(target)).status_code == 200


async def test_coordinator_sees_exact_counts_and_no_suppression(client, sessionmaker, settings, town):
    users, areas = town
    await as_(client, sessionmaker, settings, users["社協コーディネーター"])
    page = await client.get(f"/console?area={areas['中央地区'].id}&period=FY2026")
    assert page.status_code == 200
    assert "&lt;10" not in page.text and "本町" in page.text
    assert "<svg" in page.text and "<table" in page.text


async def test_prefecture_analyst_drills_down_and_sees_small_counts_hidden(client, sessionmaker, settings, town):
    users, areas = town
    await as_(client, sessionmaker, settings, users["県職員"])
    top = await client.get("/console")
    assert top.status_code == 200 and "架空県" in top.text and f"area={areas['みどり市'].id}" in top.text
    district = await client.get(f"/console?area={areas['中央地区'].id}")
    assert district.status_code == 200
    assert "&lt;10" in district.text
    # Nothing identifying, and no route to records.
    assert "/households/" not in district.text and "/console/records" not in district.text
    assert (await client.get(f"/console/records?area={areas['本町'].id}&kind=unseen")).status_code == 404


async def test_areas_outside_the_console_root_answer_404(client, sessionmaker, settings, town, db):
    users, areas = town
    other = Area(level="municipality", name="よその町", parent_id=areas["架空県"].id, prefecture_id=areas["架空県"].id)
    db.add(other)
    await db.flush()
    other.municipality_id = other.id
    await db.commit()
    await as_(client, sessionmaker, settings, users["市職員"])
    assert (await client.get(f"/console?area={other.id}")).status_code == 404
    assert (await client.get(f"/console?area={areas['架空県'].id}")).status_code == 404
    assert (await client.get("/console?area=999999")).status_code == 404
    assert (await client.get("/console/records?kind=unseen")).status_code == 404  # analysts: no records
    await as_(client, sessionmaker, settings, users["民生委員"])
    assert (await client.get("/console")).status_code in (403, 404)


async def test_export_needs_step_up_is_audited_and_has_a_bom(client, sessionmaker, settings, town):
    users, areas = town
    token = await sign_in(client, sessionmaker, settings, users["社協コーディネーター"])
    async with sessionmaker() as s:
        await s.execute(update(WebSession).values(verified_at=None))
        await s.commit()
    stale = await client.get("/console/export?table=contacts.method&format=csv", follow_redirects=False)
    assert stale.status_code in (303, 401, 403) and "stepup" in stale.headers.get("location", "stepup")
    client.cookies.clear()
    token = await sign_in(client, sessionmaker, settings, users["社協コーディネーター"])
    assert token
    got = await client.get("/console/export?table=contacts.method&format=csv&period=FY2026")
    assert got.status_code == 200 and got.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert rows[0] and any("<10" in c for r in rows for c in r) is False
    xlsx = await client.get("/console/export?table=areas&format=xlsx&publish=1")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert (await client.get("/console/export?table=nope&format=csv")).status_code == 422
    async with sessionmaker() as s:
        n = len((await s.scalars(select(AuditEvent.id).where(AuditEvent.action == "console.exported"))).all())
    assert n == 2


async def test_published_export_hides_the_same_cells_as_the_prefecture_view(client, sessionmaker, settings, town):
    users, areas = town
    await as_(client, sessionmaker, settings, users["県職員"])
    got = await client.get(f"/console/export?area={areas['中央地区'].id}&table=areas&format=csv")
    assert got.status_code == 200
    text = got.content.decode("utf-8-sig")
    assert "<10" in text
    for n in re.findall(r",(\d+)(?=,|\r)", text):
        assert not 1 <= int(n) <= 9


async def test_console_opens_on_a_town_without_any_figures(client, sessionmaker, settings, cast):
    for who in ("coordinator", "municipal_analyst", "prefecture_analyst"):
        await as_(client, sessionmaker, settings, cast.users[who])
        got = await client.get("/console")
        assert got.status_code == 200, (who, got.text[-2000:])
        assert (await client.get("/console?period=FY2025")).status_code == 200
        assert (await client.get("/console?period=nonsense")).status_code == 200
