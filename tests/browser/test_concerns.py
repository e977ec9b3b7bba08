"""The whole concern loop in a real browser (issue 6, item 9): a volunteer logs 要連絡 with a concern →
the support centre's professional sees it at the top of the inbox, acknowledges it and closes it as
つながった with a message → the volunteer sees that message on their home. And a 緊急 concern shows
on every page of the receiving organisation within seconds, also after the session has expired."""
from __future__ import annotations

import re
import time
import uuid

from sqlalchemy import select

from server.config import load
from tests.browser.conftest import (
    assert_no_sideways_scroll,
    axe_check,
    start,
    switch_person,
)


def seed(server) -> dict:
    async def go(session):
        from server import sealing
        from server.auth.sessions import start_signed_in
        from server.concerns import service
        from server.scope import build_scope
        from tests.concerns.conftest import make_household
        from tests.personas import build_cast

        settings = load(server.env)
        sealing.configure(settings.data_key)
        cast = await build_cast(session)
        for u in cast.users.values():
            u.locale = "ja"
        scope = await build_scope(session, cast.coordinator)
        await service.save_route(session, actor=cast.coordinator, scope=scope, municipality_id=cast.city.id,
                                 area_id=cast.district_a.id, target_group="elderly", category=None,
                                 organisation_id=cast.orgs.support_centre_a.id)
        h, _ = await make_household(session, cast, cast.hood_a1)
        tokens = {}
        for name in ("volunteer", "support_centre", "professional_other_org", "coordinator"):
            tokens[name], _ = await start_signed_in(session, settings, user=cast.users[name], old=None, passkey_id=None)
        return {"household_id": h.id, "cookie": settings.session_cookie, "tokens": tokens,
                "volunteer_id": cast.volunteer.id, "support_centre_id": cast.support_centre.id}

    return server.run(go)


def as_user(page, server, seeded, name: str) -> None:
    switch_person(page, server, seeded["cookie"], seeded["tokens"][name])


def concern_rows(server) -> list:
    from server.concerns.models import Concern

    async def go(session):
        return [(c.id, c.state, c.organisation_id, c.urgency) for c in (await session.scalars(select(Concern))).all()]

    return server.run(go)


def test_a_concern_goes_round_the_whole_loop(live_server, page):
    seeded = seed(live_server)
    start(live_server)
    hid = seeded["household_id"]
    url = live_server.url

    # 1. The volunteer logs 要連絡 and ticks "tell a professional now".
    as_user(page, live_server, seeded, "volunteer")
    page.goto(f"{url}/households/{hid}/contact")
    page.locator(".outcome-notify input").check()
    page.locator("input[name=flag_concern]").check()
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(r".*/round\?saved=\d+"))
    assert "専門職に伝わります" in page.content() or page.locator("a[href^='/concerns/']").count() > 0
    [(concern_id, state, _org, urgency)] = concern_rows(live_server)
    assert (state, urgency) == ("new", "soon")
    # The volunteer adds details from the link on the round.
    page.locator(f"a[href='/concerns/{concern_id}']").first.click()
    page.get_by_text("詳しく書き足す").click()
    page.locator("#f-seen").fill("郵便受けに新聞が3日分たまっていました。")
    page.get_by_role("button", name="詳細を保存する").click()
    page.wait_for_url(re.compile(rf".*/concerns/{concern_id}\?completed=1"))
    assert "送信済み（受付待ち）" in page.inner_text("main")
    axe_check(page)
    assert_no_sideways_scroll(page, 320)

    # 2. The support centre's professional: at the top of the inbox.
    as_user(page, live_server, seeded, "support_centre")
    page.goto(f"{url}/concerns")
    first = page.locator("#inbox > li").first
    assert first.get_attribute("data-concern") == str(concern_id)
    axe_check(page)
    assert_no_sideways_scroll(page, 320)
    first.locator("a").click()
    page.wait_for_url(f"**/concerns/{concern_id}")
    assert "郵便受けに新聞が3日分" in page.inner_text("main")
    page.locator("form[data-action=acknowledge] button").click()
    page.locator("form[data-action=start] button").wait_for()
    assert page.locator("[data-state]").get_attribute("data-state") == "acknowledged"
    page.locator("form[data-action=start] button").click()
    page.locator("form[data-action=link] textarea[name=message]").fill(
        "ありがとうございました。包括が訪問しました。引き続き見守りをお願いします。")
    page.locator("#f-note").fill("長男と連絡がとれた。介護保険の申請を支援。")
    page.get_by_role("button", name="記録を追加する").click()
    page.locator("[data-note]").wait_for()
    page.locator("form[data-action=link] textarea[name=message]").fill(
        "ありがとうございました。包括が訪問しました。引き続き見守りをお願いします。")
    page.locator("form[data-action=link] button").click()
    page.locator("[data-state=linked]").wait_for()
    axe_check(page)
    assert_no_sideways_scroll(page, 320)

    # A professional of another organisation cannot open it.
    as_user(page, live_server, seeded, "professional_other_org")
    assert page.goto(f"{url}/concerns/{concern_id}").status == 404
    page.js_errors.clear()  # the console's note about that 404 is expected

    # 3. The volunteer's home shows the unread reply; opening it shows the message, never the case note.
    as_user(page, live_server, seeded, "volunteer")
    page.goto(f"{url}/home")
    page.locator("[data-unread] a").click()
    page.wait_for_url(f"**/concerns/{concern_id}")
    main = page.inner_text("main")
    assert "包括が訪問しました。引き続き見守りをお願いします。" in main
    assert "完了" in main and "長男" not in main
    page.goto(f"{url}/home")
    assert page.locator("[data-unread]").count() == 0
    assert page.js_errors == []


def test_an_emergency_shows_on_every_page_of_the_receiving_organisation_within_seconds(live_server, page):
    seeded = seed(live_server)
    start(live_server)
    url = live_server.url
    as_user(page, live_server, seeded, "support_centre")
    page.goto(f"{url}/settings")  # any signed-in page
    banner = page.locator("#urgent-alert")
    assert banner.is_hidden()

    async def raise_emergency(session):
        from server.concerns import service
        from server.users.models import User

        volunteer = await session.get(User, seeded["volunteer_id"])
        await service.raise_concern(session, actor=volunteer, client_id=uuid.uuid4().hex,
                                    household_id=seeded["household_id"], target_group="elderly", category="health",
                                    urgency="emergency", seen="倒れている")

    began = time.monotonic()
    live_server.run(raise_emergency)
    banner.wait_for(state="visible", timeout=15000)
    noticed = time.monotonic() - began
    assert "緊急の気づきが 1 件" in banner.inner_text()
    print(f"emergency noticed on the open page after {noticed:.1f} s")
    assert noticed < 12, noticed
    axe_check(page)

    # The session expires (ended on the server): the open page keeps polling and shows a signal
    # with no personal data.
    async def expire(session):
        from server.auth.sessions import end_all_for

        await end_all_for(session, seeded["support_centre_id"])

    live_server.run(expire)
    page.wait_for_function(
        "() => document.getElementById('urgent-alert').innerText.includes('サインインしてください')", timeout=15000)
    text = banner.inner_text()
    assert "緊急 1件" in text and "倒れている" not in text
    assert banner.locator("a").get_attribute("href") == "/signin"

    # Another organisation's professional sees no banner.
    as_user(page, live_server, seeded, "professional_other_org")
    page.goto(f"{url}/settings")
    time.sleep(1.5)
    assert page.locator("#urgent-alert").is_hidden()
    assert page.js_errors == []
