"""Coordinator pages about people, the audit trail page, and the home screen of every role."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from server.audit.models import AuditEvent
from server.users.models import RoleGrant, User
from tests.helpers import post_form, sign_in
from tests.personas import USER_NAMES


@pytest.fixture
async def coordinator(cast, client, sessionmaker, settings):
    await sign_in(client, sessionmaker, settings, cast.coordinator)
    return client


async def english(client):
    await post_form(client, "/language", {"locale": "en", "next": "/home"})


async def test_the_people_page_lists_the_municipality_only(cast, coordinator):
    r = await coordinator.get("/people")
    assert r.status_code == 200 and "人を招待する" in r.text
    assert cast.commissioner.display_name in r.text and "主任児童委員" in r.text and "利用停止" in r.text
    assert cast.coordinator_other_city.display_name not in r.text
    assert cast.prefecture_analyst.display_name not in r.text


async def test_the_people_page_in_english(cast, coordinator):
    await english(coordinator)
    r = await coordinator.get("/people")
    assert "Invite a person" in r.text and "Welfare commissioner" in r.text


async def test_inviting_shows_the_link_once_with_a_qr_code_and_the_expiry(cast, coordinator, db):
    r = await coordinator.get("/people/new")
    assert r.status_code == 200 and "招待リンクを作る" in r.text and cast.hood_a1.name in r.text
    r = await post_form(coordinator, "/people", {
        "display_name": "新人 太郎", "role": "volunteer", "area_ids": [str(cast.hood_a2.id)]})
    assert r.status_code == 200
    link = re.search(r'id="invite-link">(http://localhost:8000/invite/[A-Za-z0-9_\-]+)<', r.text).group(1)
    assert 'src="data:image/svg+xml;base64,' in r.text and "72時間" in r.text
    assert "no-store" in r.headers.get("cache-control", "")
    # The link opens the registration page of the new person.
    page = await coordinator.get(link.removeprefix("http://localhost:8000"))
    assert page.status_code == 200
    user = (await db.scalars(select(User).where(User.display_name == "新人 太郎"))).one()
    await db.commit()
    # The person's page does not show the link again, only that an invitation is open.
    detail = await coordinator.get(f"/people/{user.id}")
    assert link not in detail.text and "有効な招待" in detail.text


async def test_a_refused_invitation_keeps_the_form_and_writes_nothing(cast, coordinator, db):
    r = await post_form(coordinator, "/people", {"display_name": "", "role": "volunteer"})
    assert r.status_code == 422
    assert "名前を入力してください。" in r.text and "地域を一つ以上選んでください。" in r.text
    assert await db.scalar(select(func.count()).select_from(User)) == len(USER_NAMES)
    await db.commit()


async def test_a_malformed_area_id_is_a_422(cast, coordinator):
    r = await post_form(coordinator, "/people", {"display_name": "x", "role": "volunteer", "area_ids": ["x"]})
    assert r.status_code == 422


async def test_a_persons_page_shows_dated_roles_areas_and_passkeys(cast, coordinator):
    r = await coordinator.get(f"/people/{cast.council_chair.id}")
    assert r.status_code == 200
    assert "民児協会長" in r.text and "民生委員・児童委員" in r.text and cast.hood_a2.name in r.text
    assert "から" in r.text and "パスキー" in r.text


async def test_ending_a_role_from_the_page_keeps_the_row(cast, coordinator, db):
    grant = (await db.scalars(select(RoleGrant).where(RoleGrant.user_id == cast.council_chair.id,
                                                      RoleGrant.role == "council_chair"))).one()
    await db.commit()
    r = await post_form(coordinator, f"/people/{cast.council_chair.id}/roles/{grant.id}/end")
    assert r.status_code == 303 and r.headers["location"] == f"/people/{cast.council_chair.id}"
    await db.refresh(grant)
    assert grant.valid_to is not None
    await db.commit()
    # Ended once is enough: a second time is a clear 422.
    assert (await post_form(coordinator, f"/people/{cast.council_chair.id}/roles/{grant.id}/end")).status_code == 422


async def test_granting_a_role_from_the_page(cast, coordinator, db):
    r = await post_form(coordinator, f"/people/{cast.commissioner.id}/roles", {"role": "volunteer"})
    assert r.status_code == 303
    roles = set((await db.scalars(select(RoleGrant.role).where(RoleGrant.user_id == cast.commissioner.id))).all())
    await db.commit()
    assert roles == {"commissioner", "volunteer"}
    r = await post_form(coordinator, f"/people/{cast.commissioner.id}/roles", {"role": "volunteer"})
    assert r.status_code == 422 and "この人はすでにこの役割を持っています。" in r.text


async def test_adding_and_ending_an_area_from_the_page(cast, coordinator, db):
    r = await post_form(coordinator, f"/people/{cast.volunteer.id}/areas", {"area_id": str(cast.hood_b1.id)})
    assert r.status_code == 303
    assert (await post_form(coordinator, f"/people/{cast.volunteer.id}/areas", {"area_id": ""})).status_code == 422


async def test_deactivating_from_the_page(cast, coordinator, db):
    r = await post_form(coordinator, f"/people/{cast.volunteer.id}/deactivate")
    assert r.status_code == 303
    await db.refresh(cast.volunteer)
    await db.commit()
    assert cast.volunteer.status == "deactivated"
    page = await coordinator.get(f"/people/{cast.volunteer.id}")
    assert "利用停止" in page.text


async def test_reinviting_from_the_page_shows_a_fresh_link(cast, coordinator):
    r = await post_form(coordinator, f"/people/{cast.deactivated.id}/reinvite")
    assert r.status_code == 200 and "/invite/" in r.text and "data:image/svg+xml;base64," in r.text


async def test_a_coordinator_cannot_deactivate_themselves_from_the_page(cast, coordinator):
    r = await post_form(coordinator, f"/people/{cast.coordinator.id}/deactivate")
    assert r.status_code == 422


async def test_people_of_another_city_are_not_found(cast, client, sessionmaker, settings):
    await sign_in(client, sessionmaker, settings, cast.coordinator_other_city)
    assert (await client.get(f"/people/{cast.volunteer.id}")).status_code == 404
    assert (await post_form(client, f"/people/{cast.volunteer.id}/deactivate")).status_code == 404
    assert (await post_form(client, f"/people/{cast.volunteer.id}/reinvite")).status_code == 404
    r = await client.get("/people")
    assert cast.volunteer.display_name not in r.text


@pytest.mark.parametrize("who", ["volunteer", "commissioner", "council_chair", "csw", "municipal_analyst",
                                 "prefecture_analyst"])
async def test_only_coordinators_see_people_and_the_audit_trail(cast, client, sessionmaker, settings, who):
    await sign_in(client, sessionmaker, settings, getattr(cast, who))
    for url in ("/people", "/people/new", f"/people/{cast.volunteer.id}", "/audit"):
        assert (await client.get(url)).status_code == 404, url
    assert (await post_form(client, "/people", {"display_name": "x", "role": "coordinator"})).status_code == 404


async def test_the_audit_trail_shows_translated_actions_and_staff_names(cast, coordinator, db):
    r = await coordinator.get("/audit")
    assert r.status_code == 200
    entries = r.text.split('<ul class="list">', 1)[1]
    assert "役割を付与" in entries and "利用を停止" in entries and "招待なしで追加" in entries
    assert "role.granted" not in entries  # labels, not codes
    assert cast.coordinator.display_name in entries and "システム（コマンドライン）" in entries
    viewed = await db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "audit.viewed", AuditEvent.actor_id == cast.coordinator.id))
    await db.commit()
    assert viewed == 1


async def test_the_audit_trail_filters_by_action_and_pages(cast, coordinator):
    r = await coordinator.get("/audit", params={"action": "user.deactivated"})
    assert r.text.split('<ul class="list">', 1)[1].count("<li>") == 1
    r = await coordinator.get("/audit", params={"actor": str(cast.coordinator.id), "page": "1"})
    assert "システム（コマンドライン）" not in r.text.split("<ul class=\"list\">", 1)[1]
    r = await coordinator.get("/audit", params={"page": "abc", "actor": "x"})
    assert r.status_code == 200


async def test_the_audit_trail_in_english(cast, coordinator):
    await english(coordinator)
    r = await coordinator.get("/audit")
    assert "Audit trail" in r.text and "Person deactivated" in r.text


HOME_TEXT = {
    "coordinator": ("人を招待する", "Invite a person"),
    "csw": ("所属機関に届いた気づき", "Concerns routed or transferred"),
    "commissioner": ("訪問するお宅", "Your round will appear here"),
    "chief_child": ("主任児童委員として", "As chief child commissioner"),
    "volunteer": ("見守りをしているお宅", "The households you watch over"),
    "municipal_analyst": ("あなたの市町村の集計", "Figures for your municipality"),
    "prefecture_analyst": ("県内の市町村の集計", "Figures across the municipalities"),
}


@pytest.mark.parametrize("who", sorted(HOME_TEXT))
async def test_every_role_has_a_home_screen_in_both_languages(cast, client, sessionmaker, settings, who):
    await sign_in(client, sessionmaker, settings, getattr(cast, who))
    ja, en = HOME_TEXT[who]
    r = await client.get("/home")
    assert r.status_code == 200 and ja in r.text
    await english(client)
    assert en in (await client.get("/home")).text


async def test_a_person_with_several_roles_sees_them_listed(cast, client, sessionmaker, settings):
    await sign_in(client, sessionmaker, settings, cast.coordinator_csw)
    r = await client.get("/home")
    assert "あなたの役割" in r.text and "社協コーディネーター" in r.text and "専門職" in r.text
    await sign_in(client, sessionmaker, settings, cast.csw)
    assert "あなたの役割" not in (await client.get("/home")).text


async def test_every_form_on_the_coordinator_pages_carries_a_real_csrf_token(cast, coordinator):
    """The helpers post their own token; a browser posts the one in the page, so it must be there."""
    for url in ("/people/new", f"/people/{cast.council_chair.id}", "/areas", "/organisations",
                f"/organisations/{cast.orgs.council_a.id}"):
        html = (await coordinator.get(url)).text
        values = re.findall(r'name="_csrf_token" value="([^"]*)"', html)
        assert values and all(len(v) > 20 for v in values), url
