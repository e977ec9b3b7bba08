"""The watch-over journeys in a real browser: "visited, no change" from the round in at most
3 taps with an undo notice, and a double-tapped save stored once."""
from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import func, select

from server.config import load
from tests.browser.conftest import assert_no_sideways_scroll, axe_check, start


def seed_round(server) -> dict:
    """The watch-over test town, one household on the commissioner's round, and a live session."""
    async def go(session):
        from server import sealing
        from server.auth.sessions import start_signed_in
        from tests.watchover.builders import household
        from tests.watchover.conftest import make_town

        settings = load(server.env)
        sealing.configure(settings.data_key)
        town = await make_town(session)
        town.comm.locale = "ja"
        h = await household(session, town, address="港町3-4-5")
        token, _ = await start_signed_in(session, settings, user=town.comm, old=None, passkey_id=None)
        return {"household_id": h.id, "token": token, "cookie": settings.session_cookie}

    return server.run(go)


def contact_count(server) -> int:
    from server.contacts.models import Contact

    async def go(session):
        return await session.scalar(select(func.count()).select_from(Contact).where(Contact.withdrawn_at.is_(None)))

    return server.run(go)


def signed_in(page, server, seeded) -> None:
    page.context.add_cookies([{"name": seeded["cookie"], "value": seeded["token"], "url": server.url}])


def test_visited_no_change_takes_at_most_three_taps_from_the_round_with_an_undo(live_server, page):
    seeded = seed_round(live_server)
    start(live_server)
    signed_in(page, live_server, seeded)
    page.goto(live_server.url + "/home")  # the round is the commissioner's home screen
    card = page.locator(f"#hh-{seeded['household_id']}")
    assert "港町3-4-5" in card.inner_text()
    page.wait_for_function("() => /訪問回数\\s*0/.test(document.getElementById('month-blocks').innerText)")
    axe_check(page)
    taps = 0
    card.locator("[data-quick-log]").click()
    taps += 1
    page.locator(f"#hh-{seeded['household_id']} [data-undo]").wait_for()
    assert taps <= 3
    # Waited for, not read once: a card swapped in by htmx has content-visibility: auto, and Chromium
    # reports its text as empty until the next frame has laid it out (one CI run in several).
    expect(page.locator(f"#hh-{seeded['household_id']}")).to_contain_text("保存しました")
    assert contact_count(live_server) == 1
    # The month's five blocks on the round count the visit at once.
    page.wait_for_function("() => /訪問回数\\s*1/.test(document.getElementById('month-blocks').innerText)")
    # The undo notice replaces a confirmation step: one more tap takes it back.
    page.locator(f"#hh-{seeded['household_id']} [data-undo]").click()
    page.get_by_text("記録を取り消しました").wait_for()
    assert contact_count(live_server) == 0
    # The full form is one tap more than the quick log.
    page.locator(f"#hh-{seeded['household_id']}").get_by_role("link", name="ほかの記録").click()
    page.wait_for_url(f"**/households/{seeded['household_id']}/contact")
    first = page.locator("main > *").first  # 119/110 guidance before anything else
    assert "emergency" in first.get_attribute("class") and "119" in first.inner_text()
    assert_no_sideways_scroll(page)
    assert page.js_errors == []


def test_a_double_tapped_save_is_stored_once(live_server, page):
    seeded = seed_round(live_server)
    start(live_server)
    signed_in(page, live_server, seeded)
    page.goto(live_server.url + "/round")
    button = page.locator(f"#hh-{seeded['household_id']} [data-quick-log]")
    button.dblclick()
    page.locator(f"#hh-{seeded['household_id']} [data-undo]").wait_for()
    # And a resend of the very same form (same client id), as a flaky network would do.
    page.goto(live_server.url + "/round")
    form_id = page.locator(f"#hh-{seeded['household_id']} input[name=client_id]").get_attribute("value")
    statuses = page.evaluate("""async ([url, clientId]) => {
        const body = new URLSearchParams({client_id: clientId, _csrf_token: document.body.dataset.csrf});
        const send = () => fetch(url, {method: "POST", body, redirect: "manual",
                                        headers: {"x-csrftoken": document.body.dataset.csrf}});
        const answers = await Promise.all([send(), send(), send()]);
        return answers.map(a => a.status);
    }""", [f"/round/{seeded['household_id']}/quick", form_id])
    assert all(s in (0, 303) for s in statuses), statuses  # 0: an opaque redirect
    assert contact_count(live_server) == 2  # the double tap once, the resent form once


def seed_coordinator(server) -> dict:
    async def go(session):
        from server import sealing
        from server.auth.sessions import start_signed_in
        from tests.watchover.builders import household, log
        from tests.watchover.conftest import make_town

        settings = load(server.env)
        sealing.configure(settings.data_key)
        town = await make_town(session)
        town.coord.locale = town.comm.locale = "ja"
        h = await household(session, town, address="港町3-4-5")
        await log(session, town, "comm", h, method="visit_absent", outcome="watch", flag_concern=True,
                  signs=["mail_piling"], consults=[("elderly", "daily_support")])
        coord, _ = await start_signed_in(session, settings, user=town.coord, old=None, passkey_id=None)
        comm, _ = await start_signed_in(session, settings, user=town.comm, old=None, passkey_id=None)
        return {"household_id": h.id, "coord": coord, "comm": comm, "cookie": settings.session_cookie,
                "area_id": town.n1.id}

    return server.run(go)


def test_watch_over_pages_fit_a_small_phone_and_pass_axe(live_server, page):
    seeded = seed_coordinator(live_server)
    start(live_server)
    hid = seeded["household_id"]

    def visit(path: str) -> None:
        page.goto(live_server.url + path)
        assert_no_sideways_scroll(page, 320)
        axe_check(page)

    page.context.add_cookies([{"name": seeded["cookie"], "value": seeded["comm"], "url": live_server.url}])
    for path in ("/round", f"/households/{hid}/contact", f"/households/{hid}", "/activity", "/search?q=やまだ"):
        visit(path)
    page.context.clear_cookies()
    page.context.add_cookies([{"name": seeded["cookie"], "value": seeded["coord"], "url": live_server.url}])
    for path in (f"/households/{hid}", f"/households?area_id={seeded['area_id']}", "/households/new",
                 "/households/import", "/handover", "/watch-settings", "/concerns",
                 f"/households/{hid}/notes"):
        visit(path)
    assert page.js_errors == []
