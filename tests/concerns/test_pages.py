"""The concern pages without a browser: plain POST → 303, bad input → 422 with the form again and
nothing written, the alert endpoint's answers, and the coordinator's routing table."""
from __future__ import annotations

import time
import uuid

from sqlalchemy import func, select

from server.concerns.models import Concern, ConcernRoute, ConcernSettings
from server.concerns.routes import alert_token, read_alert_token
from tests.helpers import post_form, sign_in


def cid() -> str:
    return uuid.uuid4().hex


async def test_raising_from_a_household_page_is_a_plain_post_and_a_resend_stores_once(client, db, sessionmaker,
                                                                                  settings, world):
    await sign_in(client, sessionmaker, settings, world.cast.volunteer)
    form = await client.get(f"/concerns/new?household_id={world.household.id}")
    assert form.status_code == 200
    assert form.text.index("tel:119") < form.text.index('action="/concerns"')  # emergency numbers first
    body = {"client_id": cid(), "household_id": str(world.household.id), "target_group": "elderly",
            "category": "dementia", "urgency": "emergency", "seen": "同じ話を繰り返す"}
    first = await post_form(client, "/concerns", body)
    again = await post_form(client, "/concerns", body)
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]
    page = await client.get(first.headers["location"])
    assert page.status_code == 200 and "tel:119" in page.text and "000-200-0001" in page.text  # the centre's phone
    assert "試験 太郎" not in page.text.split("<title>")[1].split("</title>")[0]
    assert await db.scalar(select(func.count(Concern.id))) == 1


async def test_a_bad_form_answers_422_with_the_form_and_writes_nothing(client, db, sessionmaker, settings, world):
    await sign_in(client, sessionmaker, settings, world.cast.volunteer)
    r = await post_form(client, "/concerns", {"client_id": cid(), "household_id": str(world.household.id),
                                              "target_group": "?", "urgency": "x", "seen": ""})
    assert r.status_code == 422 and 'name="seen"' in r.text and "field-error" in r.text
    r = await post_form(client, "/concerns", {"client_id": cid(), "household_id": "abc", "area_id": "-5"})
    assert r.status_code == 422
    r = await post_form(client, f"/concerns/{10**9}/acknowledge")
    assert r.status_code == 404
    assert await db.scalar(select(func.count(Concern.id))) == 0


async def test_a_step_that_is_not_allowed_answers_422_and_changes_nothing(client, db, sessionmaker, settings, world):
    await sign_in(client, sessionmaker, settings, world.cast.volunteer)
    r = await post_form(client, "/concerns", {"client_id": cid(), "household_id": str(world.household.id),
                                              "target_group": "elderly", "category": "health", "urgency": "soon",
                                              "seen": "x"})
    concern_id = int(r.headers["location"].split("/")[2].split("?")[0])
    await sign_in(client, sessionmaker, settings, world.cast.support_centre)
    r = await post_form(client, f"/concerns/{concern_id}/link", {"message": "x"})
    assert r.status_code == 422
    assert (await client.get(f"/concerns/{concern_id}")).status_code == 200
    r = await post_form(client, f"/concerns/{concern_id}/acknowledge")
    assert r.status_code == 303
    await db.rollback()
    assert (await db.get(Concern, concern_id)).state == "acknowledged"


async def test_the_alert_carries_a_count_and_after_the_session_a_signed_token_only(client, db, sessionmaker, settings,
                                                                                   world):
    from server.concerns import service

    await service.raise_concern(db, actor=world.cast.volunteer, client_id=cid(), household_id=world.household.id,
                                target_group="elderly", category="health", urgency="emergency", seen="倒れている")
    await db.commit()
    anonymous = (await client.get("/concerns/alert")).json()
    assert anonymous["count"] == 0 and "token" not in anonymous
    await sign_in(client, sessionmaker, settings, world.cast.support_centre)
    mine = (await client.get("/concerns/alert", headers={"x-tsunagu-background": "1"})).json()
    assert mine["count"] == 1 and mine["signed_in"] and "倒れている" not in str(mine)
    client.cookies.clear()
    after = (await client.get(f"/concerns/alert?t={mine['token']}")).json()
    assert (after["count"], after["signed_in"], after["href"]) == (1, False, "/signin")
    assert "サインイン" in after["message"] and "倒れている" not in str(after)
    forged = mine["token"].rsplit(".", 1)[0] + ".0000"
    assert (await client.get(f"/concerns/alert?t={forged}")).json()["count"] == 0
    await sign_in(client, sessionmaker, settings, world.cast.professional_other_org)
    assert (await client.get("/concerns/alert")).json()["count"] == 0


def test_an_alert_token_expires_and_cannot_be_widened():
    token = alert_token("secret", {3, 5}, now=1000.0)
    assert read_alert_token("secret", token, now=1001.0) == {3, 5}
    assert read_alert_token("secret", token, now=1000.0 + 25 * 3600) == set()
    body, sig = token.rsplit(".", 1)
    assert read_alert_token("secret", body.replace("3-5", "3-5-7") + "." + sig, now=1001.0) == set()
    assert read_alert_token("other", token, now=1001.0) == set()
    assert read_alert_token("secret", "garbage", now=time.time()) == set()


async def test_the_coordinator_edits_the_routing_table_and_targets(client, db, sessionmaker, settings, world):
    c = world.cast
    await sign_in(client, sessionmaker, settings, c.coordinator)
    assert (await client.get("/concerns/routes")).status_code == 200
    r = await post_form(client, "/concerns/routes", {"area_id": str(c.hood_a2.id), "target_group": "",
                                                     "category": "money", "organisation_id": str(c.orgs.shakyo.id)})
    assert r.status_code == 303
    r = await post_form(client, "/concerns/routes", {"organisation_id": str(c.orgs.council_a.id)})
    assert r.status_code == 422
    r = await post_form(client, "/concerns/targets", {"emergency_minutes": "30", "soon_days": "2", "normal_days": "4",
                                                      "holidays": "2026-12-29 年末\n2026-12-30 年末"})
    assert r.status_code == 303
    r = await post_form(client, "/concerns/targets", {"emergency_minutes": "x", "soon_days": "2", "normal_days": "4",
                                                      "holidays": "not-a-date"})
    assert r.status_code == 422
    await db.rollback()
    assert await db.scalar(select(func.count(ConcernRoute.id)).where(ConcernRoute.category == "money")) == 1
    assert (await db.get(ConcernSettings, c.city.id)).emergency_minutes == 30
    route = (await db.scalars(select(ConcernRoute).where(ConcernRoute.category == "money"))).one()
    await db.commit()  # release SQLite's write lock (every transaction is BEGIN IMMEDIATE)
    await sign_in(client, sessionmaker, settings, c.coordinator_other_city)
    assert (await post_form(client, f"/concerns/routes/{route.id}/delete")).status_code == 404
    await sign_in(client, sessionmaker, settings, c.coordinator)
    assert (await post_form(client, f"/concerns/routes/{route.id}/delete")).status_code == 303


async def test_the_inbox_needs_one_query_budget_not_one_per_concern(client, db, sessionmaker, settings, world):
    """Listing 30 concerns costs no more statements than listing 1 (no N+1)."""
    from sqlalchemy import event

    from server.concerns import service

    async def count_for_inbox() -> int:
        statements = []
        engine = client.app.state.engine.sync_engine
        def listener(*_args, **_kwargs) -> None:
            statements.append(1)

        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert (await client.get("/concerns")).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(statements)

    await service.raise_concern(db, actor=world.cast.volunteer, client_id=cid(), household_id=world.household.id,
                                target_group="elderly", category="health", urgency="soon", seen="x")
    await db.commit()
    await sign_in(client, sessionmaker, settings, world.cast.support_centre)
    one = await count_for_inbox()
    for _ in range(29):
        await service.raise_concern(db, actor=world.cast.volunteer, client_id=cid(), household_id=world.household.id,
                                    target_group="elderly", category="health", urgency="soon", seen="x")
    await db.commit()
    thirty = await count_for_inbox()
    print(f"inbox statements: 1 concern {one}, 30 concerns {thirty}")
    assert thirty == one
