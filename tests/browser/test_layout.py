"""320px 幅（スマホで200%拡大）でも横スクロールがなく、axe の重大な指摘もないこと。"""
from __future__ import annotations

import re

import pytest

from tests.browser.conftest import (
    assert_no_sideways_scroll,
    axe_check,
    seed_invited,
    start,
    virtual_authenticator,
    without_passkey_autofill,
)

pytestmark = pytest.mark.browser


def check(page) -> None:
    assert_no_sideways_scroll(page, 320)
    axe_check(page)


def test_狭い画面でもサインイン_招待_ホーム_設定が横にはみ出さない(live_server, page):
    seeded = live_server.run(lambda s: seed_invited(s, name="長谷川 美智子"))
    start(live_server)
    virtual_authenticator(page)
    without_passkey_autofill(page)
    page.set_viewport_size({"width": 320, "height": 720})

    page.goto(f"{live_server.url}/signin")
    assert page.get_by_role("button", name="パスキーでサインイン").is_visible()
    check(page)

    page.goto(f"{live_server.url}/invite/{seeded['token']}")
    check(page)
    page.get_by_role("button", name="この端末でパスキーを作成する").click()
    page.wait_for_url(re.compile(r"/home$"))
    check(page)

    page.goto(f"{live_server.url}/settings")
    assert page.get_by_role("heading", name="あなたのパスキー").is_visible()
    assert page.get_by_role("button", name=re.compile("を削除する")).count() == 1
    check(page)

    page.goto(f"{live_server.url}/stepup?next=/settings")
    check(page)

    page.goto(f"{live_server.url}/invite/no-such-link")
    check(page)


def test_サインインのボタンは押しやすい大きさ(live_server, page):
    start(live_server)
    page.set_viewport_size({"width": 320, "height": 720})
    page.goto(f"{live_server.url}/signin")
    box = page.get_by_role("button", name="パスキーでサインイン").bounding_box()
    assert box is not None and box["height"] >= 48 and box["width"] >= 200
    size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert size >= 18
