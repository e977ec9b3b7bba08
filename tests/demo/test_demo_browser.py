"""In a real browser: demo sign-in as the coordinator, then every coordinator page at 320px with axe."""
from __future__ import annotations

import re

import pytest

from tests.browser.conftest import (  # noqa: F401 - fixtures used by name
    assert_no_sideways_scroll,
    axe_check,
    browser_context,
    live_server,
    page,
    start,
)

pytestmark = pytest.mark.browser


def check(page) -> None:  # noqa: F811
    assert_no_sideways_scroll(page, 320)
    axe_check(page)


def test_the_coordinator_invites_someone_and_every_page_fits_a_small_phone(live_server, page):  # noqa: F811
    from server.demo.seed import seed_demo

    live_server.run(lambda s: seed_demo(s, if_empty=True))
    live_server.env["TSUNAGU_DEMO"] = "1"
    start(live_server)
    page.set_viewport_size({"width": 320, "height": 720})
    page.goto(f"{live_server.url}/signin")
    check(page)
    page.get_by_role("button", name="社協コーディネーターとしてサインイン").click()
    page.wait_for_url(re.compile(r"/home$"))
    assert page.get_by_role("link", name="人を招待する").is_visible()
    check(page)

    page.get_by_role("link", name="人を招待する").click()
    page.wait_for_url(re.compile(r"/people/new$"))
    check(page)
    page.get_by_label("名前").fill("新人 太郎")
    page.get_by_label("役割").select_option("volunteer")
    page.get_by_label("緑が丘").check()
    page.get_by_role("button", name="招待リンクを作る").click()
    page.locator("#invite-link").wait_for(timeout=10000)
    assert page.get_by_role("img", name="招待リンクのQRコード").is_visible()
    assert "/invite/" in page.locator("#invite-link").inner_text()
    check(page)

    for path in ("/people", "/areas", "/organisations", "/audit"):
        page.goto(f"{live_server.url}{path}")
        check(page)
    page.goto(f"{live_server.url}/organisations")
    page.get_by_role("link", name="中央地区民生委員児童委員協議会").click()
    assert page.get_by_text("高橋 正男").first.is_visible()
    check(page)
    page.goto(f"{live_server.url}/people")
    page.get_by_role("link", name="高橋 正男").click()
    check(page)
