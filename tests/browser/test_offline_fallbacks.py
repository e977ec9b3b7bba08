"""Works with no signal, in real Chromium (issue 4, continued): plain-POST forms whose request fails
while the phone says it is online go to the outbox (not to the offline page), and the service
worker's Background Sync replays the outbox with no page of the app open."""
from __future__ import annotations

import time

from sqlalchemy import func, select

from server.config import load
from tests.browser.conftest import start
from tests.browser.test_offline import ready_for_offline, seed, sign_in_cookie

SAVED = "この端末に保存しました（未送信 {n} 件）"


def wait_badge(page, n: int, timeout: float = 20) -> None:
    """Polled from Python: with a context route active, Playwright's wait_for_function stalled here."""
    deadline = time.monotonic() + timeout
    while page.locator("#outbox-badge").get_attribute("data-count") != str(n):
        assert time.monotonic() < deadline, page.locator("#outbox-badge").get_attribute("data-count")
        page.wait_for_timeout(200)


def abort_posts(route) -> None:
    """A connection that says it is up but is not: the POST never reaches the server."""
    if route.request.method == "POST":
        route.abort("internetdisconnected")
    else:
        route.continue_()


def test_plain_concern_and_sign_up_forms_go_to_the_outbox_when_the_request_fails_online(
        live_server, browser_context, page):
    def setup():
        async def go(session):
            from server import sealing
            from server.auth.sessions import start_signed_in
            from server.households.models import Person
            from tests.salons.builders import future_session, make_salon, on_roster
            from tests.watchover.builders import household
            from tests.watchover.conftest import make_town

            settings = load(live_server.env)
            sealing.configure(settings.data_key)
            town = await make_town(session)
            town.vol_same.locale = "ja"
            h = await household(session, town, volunteers=("vol_same",), people=(("山田 花子", "ヤマダ ハナコ", 1940),))
            person = (await session.scalars(select(Person).where(Person.household_id == h.id))).first()
            salon = await make_salon(session, town)
            await on_roster(session, town, salon, person.id)
            later = await future_session(session, town, salon)
            token, _ = await start_signed_in(session, settings, user=town.vol_same, old=None, passkey_id=None)
            return {"household": h.id, "person": person.id, "session": later.id, "token": token,
                    "cookie": settings.session_cookie}
        return live_server.run(go)

    def arrived():
        from server.concerns.models import Concern
        from server.salons.models import Signup

        async def go(session):
            return {"concerns": await session.scalar(select(func.count()).select_from(Concern)),
                    "signups": [s.person_id for s in (await session.scalars(select(Signup))).all()]}
        return live_server.run(go)

    seeded = setup()
    start(live_server)
    sign_in_cookie(page, live_server, seeded["token"], seeded["cookie"])
    ready_for_offline(page, live_server)
    page.goto(live_server.url + f"/concerns/new?household_id={seeded['household']}")
    page.wait_for_function("() => document.documentElement.dataset.offlineReady === '1'")
    assert page.evaluate("() => navigator.onLine")
    browser_context.route("**/*", abort_posts)  # every POST fails (the outbox's /sync too)
    page.locator("textarea[name=seen]").fill("足を引きずっていた")
    page.locator("form[action='/concerns'] button[type=submit]").last.click()
    wait_badge(page, 1)
    assert SAVED.format(n=1) in page.locator("#outbox-status").inner_text()
    assert page.url.endswith(f"/concerns/new?household_id={seeded['household']}")  # not the offline page
    assert page.locator("form[action='/concerns'] button[type=submit]").last.is_disabled()  # queued once

    signup_page = browser_context.new_page()
    signup_page.goto(live_server.url + f"/salons/sessions/{seeded['session']}")
    signup_page.wait_for_function("() => document.documentElement.dataset.offlineReady === '1'")
    signup_page.locator(f"form[action='/salons/sessions/{seeded['session']}/signups'] button[type=submit]").click()
    wait_badge(signup_page, 2)
    assert SAVED.format(n=2) in signup_page.locator("#outbox-status").inner_text()
    assert arrived() == {"concerns": 0, "signups": []}

    # The connection really returns: the outbox replays, each entry arrives once.
    browser_context.unroute("**/*")
    signup_page.evaluate("() => window.tsunaguOffline.replay()")
    wait_badge(signup_page, 0)
    signup_page.evaluate("() => window.tsunaguOffline.replay()")
    assert arrived() == {"concerns": 1, "signups": [seeded["person"]]}

    # Online and working, the same plain form still posts as usual (303 followed, no outbox).
    page.goto(live_server.url + f"/concerns/new?household_id={seeded['household']}")
    page.locator("textarea[name=seen]").fill("元気がなかった")
    page.locator("form[action='/concerns'] button[type=submit]").last.click()
    page.wait_for_url(lambda url: "/concerns/new" not in url)
    assert arrived()["concerns"] == 2


def contacts(server) -> int:
    from server.contacts.models import Contact

    async def go(session):
        return await session.scalar(select(func.count()).select_from(Contact))
    return server.run(go)


def test_background_sync_replays_the_outbox_with_no_page_open(live_server, browser_context, page):
    seeded = seed(live_server, households=2)
    start(live_server)
    sign_in_cookie(page, live_server, seeded["token"], seeded["cookie"])
    ready_for_offline(page, live_server)
    browser_context.set_offline(True)
    page.locator("[data-quick-log]").first.click()
    page.wait_for_function("() => document.getElementById('outbox-badge').dataset.count === '1'")
    # The page registered the Background Sync tag "outbox" (Chromium has it).
    tags = page.evaluate("() => navigator.serviceWorker.ready.then((r) => r.sync.getTags())")
    assert tags == ["outbox"]

    # No page of the app stays open: only the worker can send the entry now.
    blank = browser_context.new_page()
    page.close()
    cdp = browser_context.new_cdp_session(blank)
    registrations: list[dict] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: registrations.extend(e["registrations"]))
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 10
    while not any(r["scopeURL"] == live_server.url + "/" and not r["isDeleted"] for r in registrations):
        assert time.monotonic() < deadline, registrations
        blank.wait_for_timeout(100)
    registration = next(r for r in registrations if r["scopeURL"] == live_server.url + "/")
    assert contacts(live_server) == 0  # offline, with no page open: nothing has been sent yet
    # Back online, Chromium may fire the sync itself before the test does (seen on a loaded CI
    # machine); either way only the worker can send, and the entry is stored once.
    browser_context.set_offline(False)
    cdp.send("ServiceWorker.dispatchSyncEvent", {"origin": live_server.url, "registrationId":
                                                 registration["registrationId"], "tag": "outbox", "lastChance": False})
    deadline = time.monotonic() + 20
    while contacts(live_server) == 0:
        assert time.monotonic() < deadline, "the worker's sync event sent nothing"
        blank.wait_for_timeout(200)
    assert contacts(live_server) == 1
    # The worker removed the entry it was answered for: a page opened now finds an empty outbox.
    again = browser_context.new_page()
    again.route("**/sync", lambda route: route.abort())  # this page's own replay could not send anything
    again.goto(live_server.url + "/offline")
    again.wait_for_function("() => document.documentElement.dataset.offlineReady === '1'")
    assert again.locator("#outbox-badge").get_attribute("data-count") == "0"
    assert contacts(live_server) == 1


def test_a_deactivated_commissioner_signs_in_once_to_send_what_waited_and_it_is_held(live_server, page):
    import re

    from tests.browser.conftest import virtual_authenticator, without_passkey_autofill

    def setup():
        async def go(session):
            from server import sealing
            from server.auth.invitations import create_invitation
            from tests.watchover.builders import household
            from tests.watchover.conftest import make_town

            sealing.configure(load(live_server.env).data_key)
            town = await make_town(session)
            town.comm.locale = "ja"
            h = await household(session, town, volunteers=(), people=(("山田 花子", "ヤマダ ハナコ", 1940),))
            return {"household": h.id, "comm": town.comm.id, "coord": town.coord.id,
                    "token": await create_invitation(session, actor_id=None, user=town.comm)}
        return live_server.run(go)

    def deactivate():
        async def go(session):
            from server.users import service as users
            from server.users.models import User

            await users.deactivate_user(session, actor=await session.get(User, seeded["coord"]),
                                        user_id=seeded["comm"])
        return live_server.run(go)

    def ledger():
        from server.audit.models import AuditEvent
        from server.auth.models import WebSession
        from server.contacts.models import Contact
        from server.offline.models import SyncEntry

        async def go(session):
            return {"entries": [(e.status, e.reason) for e in (await session.scalars(select(SyncEntry))).all()],
                    "contacts": await session.scalar(select(func.count()).select_from(Contact)),
                    "sessions": await session.scalar(select(func.count()).select_from(WebSession).where(
                        WebSession.user_id == seeded["comm"])),
                    "replays": await session.scalar(select(func.count()).select_from(AuditEvent).where(
                        AuditEvent.action == "auth.replay_signed_in"))}
        return live_server.run(go)

    seeded = setup()
    start(live_server)
    virtual_authenticator(page)
    without_passkey_autofill(page)
    page.goto(f"{live_server.url}/invite/{seeded['token']}")
    page.get_by_role("button", name="この端末でパスキーを作成する").click()
    page.wait_for_url(re.compile(r"/home$"))
    ready_for_offline(page, live_server)
    page.context.set_offline(True)
    page.locator("[data-quick-log]").first.click()
    wait_badge(page, 1)
    deactivate()  # while the phone had no signal
    page.context.set_offline(False)

    page.goto(f"{live_server.url}/signin")
    page.get_by_role("button", name="パスキーでサインイン").click()
    # The replay-only session lands on /sync/replay, sends what waited, and signs out by itself.
    page.wait_for_url(re.compile(r"/sync/replay$"))
    page.wait_for_url(re.compile(r"/signin$"), timeout=30_000)
    assert ledger() == {"entries": [("held", "access_ended")], "contacts": 0, "sessions": 0, "replays": 1}

    page.get_by_role("button", name="パスキーでサインイン").click()
    page.get_by_text("すでに一度送信されています").wait_for()
    assert page.url.endswith("/signin")
    assert ledger()["sessions"] == 0
