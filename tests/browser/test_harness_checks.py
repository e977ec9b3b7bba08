"""The harness's own checks can fail: axe catches a serious problem, the 320px check catches sideways scroll."""
from __future__ import annotations

import pytest

from tests.browser.conftest import assert_no_sideways_scroll, axe_check

pytestmark = pytest.mark.browser


def test_axe_and_the_320px_check_catch_what_they_are_for(page):
    page.set_content('<html lang="ja"><body><main><img src="x.png">'
                     '<div style="width:600px">とても幅の広い箱</div></main></body></html>')
    with pytest.raises(AssertionError, match="image-alt"):
        axe_check(page)
    with pytest.raises(AssertionError, match="scrolls sideways"):
        assert_no_sideways_scroll(page)


def test_the_server_and_chromium_run_on_the_test_s_pinned_clock(live_server, page):
    """The test, the server it starts and the browser agree on the pinned instant (tests/clock.py)."""
    import datetime as dt

    from sqlalchemy import select

    from server.auth.models import WebSession
    from tests.browser.conftest import start
    from tests.clock import pinned_default

    start(live_server)
    page.goto(f"{live_server.url}/signin")  # asks for passkey options: an anonymous session is stored
    page.wait_for_load_state("networkidle")
    browser_now = dt.datetime.fromtimestamp(page.evaluate("Date.now()") / 1000, dt.UTC)

    async def newest(session):
        return await session.scalar(select(WebSession.created_at).order_by(WebSession.created_at.desc()).limit(1))

    server_then = live_server.run(newest)
    now = dt.datetime.now(dt.UTC)
    assert abs(now - pinned_default()) < dt.timedelta(minutes=2)
    assert server_then is not None and abs(now - server_then) < dt.timedelta(seconds=30)
    assert abs(now - browser_now) < dt.timedelta(seconds=30)
