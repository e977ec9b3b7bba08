"""The watch-over pages over HTTP: plain POST -> 303, 422 with errors, 404 outside scope, audit rows."""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select

from server.audit.models import AuditEvent
from server.auth.models import WebSession
from server.concerns.models import Concern
from server.contacts.models import Contact
from server.households.models import Household, Person
from tests.helpers import post_form, sign_in
from tests.watchover.builders import cid, household


async def contacts(db) -> int:
    await db.rollback()
    n = await db.scalar(select(func.count()).select_from(Contact))
    await db.commit()
    return n


async def test_home_of_a_volunteer_is_the_round_and_viewing_it_is_audited(client, db, sessionmaker, settings, town):
    h = await household(db, town)
    person = (await db.scalars(select(Person).where(Person.household_id == h.id))).one()
    await db.commit()
    await sign_in(client, sessionmaker, settings, town.vol)
    r = await client.get("/home")
    assert r.status_code == 200
    assert "港町1-2-3" in r.text and "山田 花子" in r.text and "data-quick-log" in r.text
    await db.rollback()
    event = (await db.scalars(select(AuditEvent).where(AuditEvent.action == "round.viewed"))).all()[-1]
    assert event.actor_id == town.vol.id and event.ids == [person.id]


async def test_quick_log_is_one_post_and_a_double_tap_is_stored_once(client, db, sessionmaker, settings, town):
    h = await household(db, town)
    await sign_in(client, sessionmaker, settings, town.vol)
    key = cid()
    first = await post_form(client, f"/round/{h.id}/quick", {"client_id": key})
    second = await post_form(client, f"/round/{h.id}/quick", {"client_id": key})
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert await contacts(db) == 1
    saved = await client.get(first.headers["location"])
    assert "data-undo" in saved.text or "Undo" in saved.text


async def test_htmx_quick_log_answers_with_the_card_and_undo_withdraws(client, db, sessionmaker, settings, town):
    h = await household(db, town)
    await sign_in(client, sessionmaker, settings, town.comm)
    r = await post_form(client, f"/round/{h.id}/quick", {"client_id": cid()}, headers={"hx-request": "true"})
    assert r.status_code == 200 and f'id="hh-{h.id}"' in r.text and "<html" not in r.text
    contact_id = int(re.search(r"/contacts/(\d+)/withdraw", r.text).group(1))
    undo = await post_form(client, f"/contacts/{contact_id}/withdraw", {"back": "round"}, headers={"hx-request": "true"})
    assert undo.status_code == 200
    await db.rollback()
    assert (await db.get(Contact, contact_id)).withdrawn_at is not None


async def test_out_of_scope_people_get_404_on_the_household_and_its_forms(client, db, sessionmaker, settings, town):
    h = await household(db, town)
    for name in ("vol_west", "vol_same", "comm2", "pro", "analyst", "coord2"):
        client.cookies.clear()
        await sign_in(client, sessionmaker, settings, town.users[name])
        for url in (f"/households/{h.id}", f"/households/{h.id}/contact"):
            r = await client.get(url, follow_redirects=False)
            assert r.status_code == 404, (name, url, r.status_code)
        r = await post_form(client, f"/round/{h.id}/quick", {"client_id": cid()})
        assert r.status_code == 404, name
    assert await contacts(db) == 0


async def test_household_page_title_and_url_carry_no_resident_name(client, db, sessionmaker, settings, town):
    h = await household(db, town)
    await sign_in(client, sessionmaker, settings, town.coord)
    r = await client.get(f"/households/{h.id}")
    assert r.status_code == 200 and "山田 花子" in r.text
    title = re.search(r"<title>(.*?)</title>", r.text, re.DOTALL).group(1)
    assert "山田" not in title and "港町" not in title


async def test_notes_need_the_step_up_check_and_volunteers_never_see_them(client, db, sessionmaker, settings, town):
    h = await household(db, town)
    await sign_in(client, sessionmaker, settings, town.vol)
    assert (await client.get(f"/households/{h.id}/notes", follow_redirects=False)).status_code == 404
    client.cookies.clear()
    await sign_in(client, sessionmaker, settings, town.coord)
    r = await client.get(f"/households/{h.id}/notes", follow_redirects=False)
    assert r.status_code == 200
    async with sessionmaker() as s:
        for row in (await s.scalars(select(WebSession).where(WebSession.user_id == town.coord.id))).all():
            row.verified_at = row.verified_at - dt.timedelta(hours=2)
        await s.commit()
    r = await client.get(f"/households/{h.id}/notes", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/stepup")


async def test_full_form_with_emergency_shows_119_first_and_flags_a_concern(client, db, sessionmaker, settings, town):
    h = await household(db, town)
    await sign_in(client, sessionmaker, settings, town.vol)
    form = await client.get(f"/households/{h.id}/contact")
    assert form.status_code == 200 and form.text.index("119") < form.text.index("<form method=\"post\" action=\"/households")
    r = await post_form(client, f"/households/{h.id}/contacts", {
        "client_id": cid(), "method": "visit", "outcome": "emergency", "flag_concern": "1",
        "signs": ["not_seen", "smell_noise"], "note": "返事がない"})
    assert r.status_code == 303
    page = await client.get(r.headers["location"])
    assert page.text.index("tel:119") < page.text.index("data-quick-log")
    await db.rollback()
    flag = (await db.scalars(select(Concern))).one()
    assert flag.urgency == "emergency"


async def test_a_bad_contact_form_answers_422_and_writes_nothing(client, db, sessionmaker, settings, town):
    h = await household(db, town)
    await sign_in(client, sessionmaker, settings, town.vol)
    r = await post_form(client, f"/households/{h.id}/contacts", {
        "client_id": cid(), "method": "teleport", "outcome": "no_change", "occurred_at": "1999-01-01T10:00"})
    assert r.status_code == 422
    assert "Choose how you made contact." in r.text and "You can only enter this month or last month." in r.text
    assert await contacts(db) == 0


async def test_coordinator_creates_a_household_and_adds_a_person(client, db, sessionmaker, settings, town):
    await sign_in(client, sessionmaker, settings, town.coord)
    r = await post_form(client, "/households", {"area_id": str(town.n2.id), "address": "浜2-5", "types": ["elderly_only"],
                                                "cadence": "biweekly"})
    assert r.status_code == 303
    hid = int(r.headers["location"].rsplit("/", 1)[1])
    r = await post_form(client, f"/households/{hid}/people", {"name": "髙橋 﨑子", "kana": "ﾀｶﾊｼ ｻｷｺ", "birth_year": "1939",
                                                             "phone": "0120-000-000"})
    assert r.status_code == 303
    await db.rollback()
    person = (await db.scalars(select(Person).where(Person.household_id == hid))).one()
    assert person.kana_norm == "たかはしさきこ"
    await db.commit()
    bad = await post_form(client, "/households", {"area_id": str(town.n9.id), "address": ""})
    assert bad.status_code == 422
    assert await db.scalar(select(func.count()).select_from(Household)) == 1


async def test_search_finds_by_half_width_kana_and_audits_the_ids(client, db, sessionmaker, settings, town):
    h = await household(db, town)
    await sign_in(client, sessionmaker, settings, town.comm)
    r = await client.get("/search", params={"q": "ﾔﾏﾀﾞ"})
    assert r.status_code == 200 and f"/households/{h.id}" in r.text
    await db.rollback()
    assert (await db.scalars(select(AuditEvent).where(AuditEvent.action == "search.viewed"))).one().ids


async def test_coordinator_sees_who_viewed_a_person(client, db, sessionmaker, settings, town):
    h = await household(db, town)
    person = (await db.scalars(select(Person).where(Person.household_id == h.id))).one()
    await db.commit()
    await sign_in(client, sessionmaker, settings, town.vol)
    await client.get(f"/households/{h.id}")
    client.cookies.clear()
    await sign_in(client, sessionmaker, settings, town.coord)
    r = await client.get(f"/persons/{person.id}/viewers")
    assert r.status_code == 200 and "Volunteer" in r.text
    client.cookies.clear()
    await sign_in(client, sessionmaker, settings, town.comm)
    assert (await client.get(f"/persons/{person.id}/viewers")).status_code == 404


async def test_on_behalf_entry_from_the_household_page(client, db, sessionmaker, settings, town):
    h = await household(db, town)
    await sign_in(client, sessionmaker, settings, town.coord)
    form = await client.get(f"/households/{h.id}/contact")
    assert 'name="on_behalf_of"' in form.text
    r = await post_form(client, f"/households/{h.id}/contacts", {
        "client_id": cid(), "method": "visit", "outcome": "no_change", "on_behalf_of": str(town.comm.id),
        "consult_field_0": "elderly", "consult_content_0": "care_insurance", "liaison": ["agency"]})
    assert r.status_code == 303
    page = await client.get(r.headers["location"])
    assert "Entered by Coordinator for Commissioner One" in page.text


async def test_commissioner_watches_the_month_blocks_count_up(client, db, sessionmaker, settings, town):
    h = await household(db, town)
    await sign_in(client, sessionmaker, settings, town.comm)
    before = await client.get("/activity", headers={"hx-request": "true"})
    assert before.status_code == 200 and "<html" not in before.text
    await post_form(client, f"/round/{h.id}/quick", {"client_id": cid()})
    await post_form(client, "/activity", {"client_id": cid(), "kind": "survey",
                                          "occurred_on": dt.datetime.now(dt.timezone(dt.timedelta(hours=9))).date().isoformat()})
    after = await client.get("/activity")
    visits = re.search(r"Visits</dt><dd>(\d+)</dd>", after.text)
    other = re.search(r"Other activities</dt><dd>(\d+)</dd>", after.text)
    assert visits.group(1) == "1" and other.group(1) == "1"


async def test_the_households_commissioner_can_ask_a_volunteer_of_the_neighbourhood(client, db, sessionmaker,
                                                                                     settings, town):
    h = await household(db, town, volunteers=())
    await sign_in(client, sessionmaker, settings, town.comm)
    page = await client.get(f"/households/{h.id}")
    assert f'value="{town.vol_same.id}"' in page.text and f'value="{town.vol_west.id}"' not in page.text
    r = await post_form(client, f"/households/{h.id}/assignments", {"role": "volunteer", "user_id": str(town.vol_same.id)})
    assert r.status_code == 303
    client.cookies.clear()
    await sign_in(client, sessionmaker, settings, town.vol_same)
    assert (await client.get(f"/households/{h.id}")).status_code == 200


async def test_a_worrying_contact_offers_flag_a_concern_at_once(client, db, sessionmaker, settings, town):
    h = await household(db, town, consent="refused")  # off the round, and still a concern can be raised
    await sign_in(client, sessionmaker, settings, town.vol)
    r = await post_form(client, f"/households/{h.id}/contacts", {
        "client_id": cid(), "method": "exterior", "outcome": "notify", "signs": ["not_seen"]})
    saved = await client.get(r.headers["location"])
    assert "data-flag" in saved.text
    contact_id = int(re.search(r"/contacts/(\d+)/flag", saved.text).group(1))
    for _ in range(2):  # a double tap raises one flag
        r = await post_form(client, f"/contacts/{contact_id}/flag")
        assert r.status_code == 303
    await db.rollback()
    flag = (await db.scalars(select(Concern))).one()
    assert flag.urgency == "soon" and flag.contact_id == contact_id
    await db.commit()
    assert "data-flag" not in (await client.get(r.headers["location"])).text


async def test_coordinator_merges_a_duplicate_from_the_person_page(client, db, sessionmaker, settings, town):
    h = await household(db, town, people=(("山田 花子", "ヤマダ ハナコ", 1940), ("山田 花子", "", None)))
    a, b = (await db.scalars(select(Person).where(Person.household_id == h.id).order_by(Person.id))).all()
    await db.commit()
    await sign_in(client, sessionmaker, settings, town.coord)
    form = await client.get(f"/persons/{a.id}/edit")
    assert form.status_code == 200 and f'<option value="{b.id}">' in form.text
    r = await post_form(client, f"/persons/{a.id}/merge", {"merge_id": str(b.id)})
    assert r.status_code == 303
    await db.rollback()
    assert (await db.scalar(select(Person.merged_into_id).where(Person.id == b.id))) == a.id
    await db.commit()
