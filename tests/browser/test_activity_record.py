"""The activity record in a real browser: a commissioner opens last month, submits it, and the
council chair sees it as submitted (axe and 320px on both pages)."""
from __future__ import annotations

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
        from tests.activity.builders import (
            appointed_long_ago,
            day_of_last_month,
            log,
            period,
            watched,
        )
        from tests.personas import build_cast

        settings = load(server.env)
        sealing.configure(settings.data_key)
        cast = await build_cast(session)
        await session.commit()
        await appointed_long_ago(session)
        h = await watched(session, cast)
        await log(session, cast.commissioner, h, when=day_of_last_month(3), consults=[("elderly", "daily_support")])
        await log(session, cast.commissioner, h, when=day_of_last_month(11), method="exterior")
        tokens = {}
        for who in ("commissioner", "council_chair"):
            tokens[who], _ = await start_signed_in(session, settings, user=cast.users[who], old=None, passkey_id=None)
        await session.commit()
        return {"tokens": tokens, "cookie": settings.session_cookie, "period": period(),
                "name": cast.commissioner.display_name, "id": cast.commissioner.id}

    return server.run(go)


def as_user(page, server, seeded, who: str) -> None:
    switch_person(page, server, seeded["cookie"], seeded["tokens"][who])


def test_a_commissioner_submits_last_month_and_the_chair_sees_it_submitted(live_server, page):
    seeded = seed(live_server)
    start(live_server)
    as_user(page, live_server, seeded, "commissioner")
    page.goto(live_server.url + "/home")
    page.get_by_role("link", name="活動記録の確認と提出").click()
    page.wait_for_url("**/activity-record")
    assert "訪問回数" in page.inner_text("#figures")
    axe_check(page)
    assert_no_sideways_scroll(page)
    page.get_by_role("button", name="この月を提出する").click()
    page.get_by_text("提出しました。会長が確認できるようになりました。").wait_for()
    assert "提出済み" in page.inner_text("#status")
    as_user(page, live_server, seeded, "council_chair")
    page.goto(live_server.url + f"/council-record?month={seeded['period']}")
    row = page.locator("li.member", has_text=seeded["name"])
    assert row.get_attribute("data-status") == "submitted"
    assert "提出済み" in row.inner_text()
    assert page.locator('li.member[data-status="missing"]').count() == 2
    axe_check(page)
    assert_no_sideways_scroll(page)
    assert page.js_errors == []


def test_the_chair_enters_a_paper_booklet_and_follows_a_figure_to_what_they_entered(live_server, page):
    seeded = seed(live_server)
    start(live_server)
    as_user(page, live_server, seeded, "council_chair")
    page.goto(live_server.url + f"/council-record?month={seeded['period']}")
    row = page.locator('li.member[data-status="missing"]').first
    row.locator('a[href*="/council-record/proxy"]').click()
    page.wait_for_url("**/council-record/proxy?**")
    page.fill("#f-visits", "5")
    page.fill("#f-days", "2")
    page.locator('form[action="/council-record/proxy"] button[type="submit"]').click()
    page.wait_for_url("**/council-record?**done=1**")
    page.get_by_role("link", name="入力した数字を見る").click()
    page.wait_for_url("**/council-record/proxy?**")
    links = page.locator('#figures a[href^="/activity-record/entries"]')
    assert links.count() == 2  # the two figures entered: visits and days
    axe_check(page)
    assert_no_sideways_scroll(page)
    page.locator('#figures a[href*="item=visits"]').click()
    page.wait_for_url("**/activity-record/entries?**")
    assert "+5" in page.inner_text("#adjustments")
    axe_check(page)
    assert_no_sideways_scroll(page)
    assert page.js_errors == []
