"""招待リンク → パスキー登録 → サインアウト → パスキーでサインイン → サインアウト (Chromium, 日本語)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from server.auth.models import Passkey
from tests.browser.conftest import (
    axe_check,
    credentials,
    seed_invited,
    start,
    virtual_authenticator,
    without_passkey_autofill,
)

pytestmark = pytest.mark.browser


def sign_out(page) -> None:
    page.get_by_role("button", name="サインアウト").first.click()
    page.wait_for_url(re.compile(r"/signin$"))
    assert page.get_by_role("heading", name="つなぐにサインイン").is_visible()


def test_招待から登録してサインアウトしパスキーでサインインできる(live_server, page):
    seeded = live_server.run(lambda s: seed_invited(s, name="鈴木 一郎"))
    start(live_server)
    cdp, authenticator = virtual_authenticator(page)
    without_passkey_autofill(page)

    page.goto(f"{live_server.url}/invite/{seeded['token']}")
    assert page.get_by_role("heading", name="鈴木 一郎 さん、ようこそ").is_visible()
    assert page.locator("html").get_attribute("lang") == "ja"
    axe_check(page)

    page.get_by_role("button", name="この端末でパスキーを作成する").click()
    page.wait_for_url(re.compile(r"/home$"))
    assert "鈴木 一郎" in page.locator("h1").inner_text()
    axe_check(page)
    stored = credentials(cdp, authenticator)
    assert len(stored) == 1 and stored[0]["isResidentCredential"]

    sign_out(page)
    axe_check(page)
    assert page.context.request.get(f"{live_server.url}/home", max_redirects=0).status == 303

    page.get_by_role("button", name="パスキーでサインイン").click()
    page.wait_for_url(re.compile(r"/home$"))
    assert "鈴木 一郎" in page.locator("h1").inner_text()
    axe_check(page)

    sign_out(page)
    assert page.js_errors == [], page.js_errors  # type: ignore[attr-defined]

    async def check(session):
        return (await session.scalars(select(Passkey).where(Passkey.user_id == seeded["user_id"]))).all()

    passkeys = live_server.run(check)
    assert len(passkeys) == 1
    assert passkeys[0].sign_count >= 1 and passkeys[0].last_used_at is not None


def test_招待リンクは一度しか使えない(live_server, page):
    seeded = live_server.run(seed_invited)
    start(live_server)
    virtual_authenticator(page)
    without_passkey_autofill(page)
    page.goto(f"{live_server.url}/invite/{seeded['token']}")
    page.get_by_role("button", name="この端末でパスキーを作成する").click()
    page.wait_for_url(re.compile(r"/home$"))
    sign_out(page)

    response = page.goto(f"{live_server.url}/invite/{seeded['token']}")
    assert response.status == 410
    assert "社協の担当者に新しいリンクを依頼してください" in page.locator("main").inner_text()
    axe_check(page)


def test_パスキーの自動入力でもサインインできる(live_server, page):
    seeded = live_server.run(seed_invited)
    start(live_server)
    virtual_authenticator(page)
    page.goto(f"{live_server.url}/invite/{seeded['token']}")
    page.get_by_role("button", name="この端末でパスキーを作成する").click()
    page.wait_for_url(re.compile(r"/home$"))
    page.context.clear_cookies()

    # Checked on the served page, not the live DOM: the virtual authenticator answers the autofill
    # so fast that the page may already be on its way to /home.
    served = page.request.get(f"{live_server.url}/signin").text()
    assert served.count('autocomplete="username webauthn"') == 1
    page.goto(f"{live_server.url}/signin")
    # The browser offers the saved passkey in the autofill; Chromium's virtual authenticator picks it.
    page.wait_for_url(re.compile(r"/home$"))
    assert seeded["name"] in page.locator("h1").inner_text()
