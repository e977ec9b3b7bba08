"""Coordinator pages for areas and organisations: render in both languages, forms post and refuse.

SQLite takes the write lock at BEGIN, so a test that reads through `db` commits before the app
(or its shutdown) needs the database again.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from server.areas.models import Area, Organisation
from tests.helpers import post_form, sign_in


@pytest.fixture
async def coordinator(cast, client, sessionmaker, settings):
    await sign_in(client, sessionmaker, settings, cast.coordinator)
    return client


async def english(client):
    await post_form(client, "/language", {"locale": "en", "next": "/home"})


async def test_the_tree_page_shows_districts_and_neighbourhoods_in_japanese(cast, coordinator):
    r = await coordinator.get("/areas")
    assert r.status_code == 200
    assert "つなぐ市の地域" in r.text and "北一丁目" in r.text and "南町" in r.text
    assert "地区を追加する" in r.text and "北地区民生委員児童委員協議会" in r.text


async def test_the_tree_page_in_english(cast, coordinator):
    await english(coordinator)
    r = await coordinator.get("/areas")
    assert "Areas of つなぐ市" in r.text and "Add a district" in r.text


async def test_adding_a_neighbourhood_redirects_and_stores_it(cast, coordinator, db):
    r = await post_form(coordinator, "/areas", {"parent_id": str(cast.district_b.id), "name": "南二丁目"})
    assert r.status_code == 303 and r.headers["location"] == "/areas"
    hood = (await db.scalars(select(Area).where(Area.name == "南二丁目"))).one()
    await db.commit()
    assert (hood.level, hood.parent_id) == ("neighbourhood", cast.district_b.id)


async def test_a_refused_area_form_shows_the_message_next_to_that_form(cast, coordinator, db):
    r = await post_form(coordinator, "/areas", {"parent_id": str(cast.district_a.id), "name": ""})
    assert r.status_code == 422
    assert "名前を入力してください。" in r.text
    assert await db.scalar(select(Area).where(Area.name == "")) is None
    await db.commit()


async def test_a_malformed_parent_id_is_a_422_not_a_500(cast, coordinator):
    r = await post_form(coordinator, "/areas", {"parent_id": "abc", "name": "x"})
    assert r.status_code == 422


async def test_renaming_an_area_of_another_city_is_not_found(cast, coordinator, db):
    other_district = (await db.scalars(select(Area).where(Area.municipality_id == cast.other_city.id,
                                                          Area.level == "district"))).first()
    await db.commit()  # SQLite: end the read (BEGIN IMMEDIATE holds the write lock) before the request
    r = await post_form(coordinator, f"/areas/{other_district.id}", {"name": "乗っ取り"})
    assert r.status_code == 404


async def test_renaming_an_area(cast, coordinator, db):
    r = await post_form(coordinator, f"/areas/{cast.hood_a2.id}", {"name": "北二丁目西", "code": "A2"})
    assert r.status_code == 303
    await db.refresh(cast.hood_a2)
    await db.commit()
    assert (cast.hood_a2.name, cast.hood_a2.code) == ("北二丁目西", "A2")


@pytest.mark.parametrize("who", ["volunteer", "commissioner", "csw", "municipal_analyst", "prefecture_analyst"])
async def test_people_who_do_not_coordinate_get_not_found(cast, client, sessionmaker, settings, who):
    await sign_in(client, sessionmaker, settings, getattr(cast, who))
    for url in ("/areas", "/organisations", f"/organisations/{cast.orgs.hub.id}"):
        assert (await client.get(url)).status_code == 404


async def test_the_organisations_page_lists_them_with_tap_to_call(cast, coordinator):
    r = await coordinator.get("/organisations")
    assert r.status_code == 200
    assert "地域包括支援センター" in r.text and 'href="tel:0002000001"' in r.text


async def test_adding_an_organisation(cast, coordinator, db):
    r = await post_form(coordinator, "/organisations", {
        "kind": "council", "name": "南地区民児協", "meeting_day": "15", "area_ids": [str(cast.district_b.id)]})
    assert r.status_code == 303
    org = (await db.scalars(select(Organisation).where(Organisation.name == "南地区民児協"))).one()
    await db.commit()
    assert r.headers["location"] == f"/organisations/{org.id}" and org.meeting_day == 15


async def test_a_refused_organisation_form_keeps_what_was_typed(cast, coordinator):
    r = await post_form(coordinator, "/organisations", {"kind": "council", "name": "南地区民児協",
                                                        "meeting_day": "40"})
    assert r.status_code == 422
    assert "1から31までの日にちを入力してください。" in r.text and 'value="南地区民児協"' in r.text


async def test_a_council_page_shows_its_chair_and_members(cast, coordinator):
    r = await coordinator.get(f"/organisations/{cast.orgs.council_a.id}")
    assert r.status_code == 200
    assert cast.council_chair.display_name in r.text and cast.commissioner.display_name in r.text
    assert cast.chief_child.display_name in r.text and "毎月10日" in r.text


async def test_editing_an_organisation_and_its_areas(cast, coordinator, db):
    org = cast.orgs.support_centre_b
    r = await post_form(coordinator, f"/organisations/{org.id}", {
        "name": "南包括", "phone": "000-111-2222", "area_ids": [str(cast.district_b.id), str(cast.hood_a2.id)]})
    assert r.status_code == 303
    r = await coordinator.get(f"/organisations/{org.id}")
    assert "南包括" in r.text and 'href="tel:0001112222"' in r.text and "北二丁目" in r.text


async def test_an_organisation_of_another_city_is_not_found(cast, client, sessionmaker, settings):
    await sign_in(client, sessionmaker, settings, cast.coordinator_other_city)
    assert (await client.get(f"/organisations/{cast.orgs.hub.id}")).status_code == 404
    r = await post_form(client, f"/organisations/{cast.orgs.hub.id}", {"name": "x", "area_ids": ["1"]})
    assert r.status_code == 404
