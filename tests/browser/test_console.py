"""The console in a real browser: a prefecture analyst drills from the prefecture to a district and
sees "<10" cells; a coordinator downloads an export after the passkey step-up."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from server.config import load
from tests.browser.conftest import (
    assert_no_sideways_scroll,
    axe_check,
    start,
    virtual_authenticator,
    without_passkey_autofill,
)

pytestmark = pytest.mark.browser


def seed(server) -> dict:
    async def go(session):
        from sqlalchemy import select

        from server import sealing
        from server.areas.models import Area
        from server.auth.invitations import create_invitation
        from server.auth.sessions import start_signed_in
        from server.demo.seed import PERSONA_NAMES, seed_demo
        from server.users.models import User
        from tests.auth.auth_builders import make_person

        settings = load(server.env)
        sealing.configure(settings.data_key)
        await seed_demo(session, if_empty=True)
        city = (await session.scalars(select(Area).where(Area.name == "みどり市"))).one()
        analyst = (await session.scalars(select(User).where(User.display_name == PERSONA_NAMES["県職員"]))).one()
        token, _ = await start_signed_in(session, settings, user=analyst, old=None, passkey_id=None)
        coordinator = await make_person(session, city, role="coordinator", name="石田 直美")
        invite = await create_invitation(session, actor_id=None, user=coordinator)
        return {"analyst": token, "cookie": settings.session_cookie, "invite": invite}

    return server.run(go)


def test_a_prefecture_analyst_drills_down_and_sees_small_counts_hidden(live_server, page):
    seeded = seed(live_server)
    start(live_server)
    page.context.add_cookies([{"name": seeded["cookie"], "value": seeded["analyst"], "url": live_server.url}])
    page.goto(live_server.url + "/home")
    page.get_by_role("link", name="集計画面：地域別・月別の数字").click()
    page.wait_for_url("**/console")
    assert page.get_by_role("heading", level=1).inner_text().endswith("架空県")
    page.locator("#areas").get_by_role("link", name="みどり市").click()
    page.wait_for_url(re.compile(r"/console\?area=\d+"))
    page.locator("#areas").get_by_role("link", name="中央地区").click()
    page.wait_for_url(re.compile(r"/console\?area=\d+"))
    assert "中央地区" in page.get_by_role("heading", level=1).inner_text()
    assert page.locator("td.suppressed", has_text="<10").count() > 0
    assert "本町" in page.inner_text("#areas")  # the district's neighbourhoods
    assert page.locator('a[href^="/households/"], a[href^="/console/records"]').count() == 0
    axe_check(page)
    assert_no_sideways_scroll(page)
    assert page.js_errors == []


def test_a_coordinator_downloads_an_export_after_the_passkey_step_up(live_server, page):
    seeded = seed(live_server)
    start(live_server)
    virtual_authenticator(page)
    without_passkey_autofill(page)
    page.goto(f"{live_server.url}/invite/{seeded['invite']}")
    page.get_by_role("button", name="この端末でパスキーを作成する").click()
    page.wait_for_url(re.compile(r"/home$"))

    async def stale(session):
        from sqlalchemy import update

        from server.auth.models import WebSession
        from server.db import utcnow

        await session.execute(update(WebSession).values(verified_at=utcnow() - dt.timedelta(hours=3)))

    live_server.run(stale)  # the sign-in was long ago: exports need a fresh passkey touch
    page.goto(live_server.url + "/console")
    page.locator("#contacts\\.method").get_by_role("link", name="ダウンロード（CSV）").click()
    page.wait_for_url(re.compile(r"/stepup"))
    with page.expect_download() as download:
        page.get_by_role("button", name="パスキーで確認する").click()
    data = Path(download.value.path()).read_bytes()
    assert data.startswith("\ufeff".encode()) and "方法別の見守り件数" in data.decode("utf-8-sig")
    assert page.js_errors == []
