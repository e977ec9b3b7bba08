"""Works with no signal, in real Chromium: the worker, the round from the phone's encrypted copy,
the sealed outbox, replay exactly once (also across a server restart and an expired session),
held entries in the review list, and a profile that holds no resident's name after sign-out."""
from __future__ import annotations

from sqlalchemy import func, select

from server.config import load
from tests.browser.conftest import assert_no_sideways_scroll, axe_check, start

NAMES = ("山田 花子", "佐藤 次郎", "鈴木 三郎", "高橋 四郎", "田中 五子")
NOTE = "合鍵は植木鉢の下"


def seed(server, households: int = 5) -> dict:
    async def go(session):
        from server import sealing
        from server.auth.sessions import start_signed_in
        from tests.watchover.builders import household
        from tests.watchover.conftest import make_town

        settings = load(server.env)
        sealing.configure(settings.data_key)
        town = await make_town(session)
        town.comm.locale = town.coord.locale = "ja"
        ids = []
        for i in range(households):
            name = NAMES[i % len(NAMES)]
            h = await household(session, town, address=f"港町{i + 1}-4-5", volunteers=(),
                                people=((name, "ヤマダ ハナコ", 1940),))
            ids.append(h.id)
        token, _ = await start_signed_in(session, settings, user=town.comm, old=None, passkey_id=None)
        return {"households": ids, "token": token, "cookie": settings.session_cookie, "comm": town.comm.id,
                "coord": town.coord.id}

    return server.run(go)


def counts(server) -> dict:
    from server.concerns.models import Concern
    from server.contacts.models import Contact
    from server.offline.models import SyncEntry

    async def go(session):
        async def n(model, *where):
            return await session.scalar(select(func.count()).select_from(model).where(*where))
        return {"contacts": await n(Contact), "distinct": await session.scalar(
                    select(func.count(func.distinct(Contact.client_id)))),
                "flags": await n(Concern), "stored": await n(SyncEntry, SyncEntry.status == "stored"),
                "held": await n(SyncEntry, SyncEntry.status == "held")}

    return server.run(go)


def sign_in_cookie(page, server, token: str, name: str) -> None:
    page.context.add_cookies([{"name": name, "value": token, "url": server.url}])


def ready_for_offline(page, server) -> None:
    page.goto(server.url + "/round")
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")  # installed and active
    if not page.evaluate("() => !!navigator.serviceWorker.controller"):
        page.reload()
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=20_000)
    page.wait_for_function("() => document.documentElement.dataset.offlineReady === '1'")


def badge_count(page) -> int:
    return int(page.locator("#outbox-badge").get_attribute("data-count"))


def outbox_at_rest(page) -> str:
    return page.evaluate("""() => new Promise((resolve) => {
        const req = indexedDB.open("tsunagu-offline");
        req.onsuccess = () => { const tx = req.result.transaction("outbox");
            const all = tx.objectStore("outbox").getAll();
            all.onsuccess = () => { resolve(JSON.stringify(all.result)); req.result.close(); }; };
    })""")


def test_the_round_offline_logs_visits_and_a_concern_that_arrive_once_and_sign_out_leaves_nothing(
        live_server, browser_context, page, tmp_path):
    seeded = seed(live_server)
    start(live_server)
    sign_in_cookie(page, live_server, seeded["token"], seeded["cookie"])
    ready_for_offline(page, live_server)
    # Installable: a valid manifest in the person's language, and the worker controls the page.
    manifest = page.evaluate("() => fetch(document.querySelector('link[rel=manifest]').href).then(r => r.json())")
    assert manifest["lang"] == "ja" and manifest["display"] == "standalone"
    assert any(i["purpose"] == "maskable" for i in manifest["icons"])
    assert page.evaluate("() => navigator.serviceWorker.controller.scriptURL").endswith("/sw.js")

    browser_context.set_offline(True)
    page.goto(live_server.url + "/round")  # "my round", from the phone's encrypted copy
    page.wait_for_function("() => document.documentElement.dataset.roundShown === '5'")
    text = page.locator("#offline-round").inner_text()
    assert all(name in text for name in NAMES) and "港町1-4-5" in text
    axe_check(page)
    assert_no_sideways_scroll(page)
    page.set_viewport_size({"width": 390, "height": 844})
    ids = seeded["households"]
    for hid in ids[:4]:
        page.locator(f"#hh-{hid} [data-quick-log]").click()
    page.wait_for_function("() => document.getElementById('outbox-badge').dataset.count === '4'")
    # The fifth through the full form, "must tell" with a concern flagged.
    card = page.locator(f"#hh-{ids[4]}")
    card.locator("summary.button").click()
    card.locator("input[name=outcome][value=notify]").check()
    card.locator("input[name=flag_concern]").check()
    card.locator("textarea[name=note]").fill(NOTE)
    card.get_by_role("button", name="保存").click()
    page.wait_for_function("() => document.getElementById('outbox-badge').dataset.count === '6'")
    assert "この端末に保存しました（未送信 6 件）" in page.locator("#outbox-status").inner_text()
    assert page.locator(".pending-mark").count() == 5  # "logged, not sent yet" on every card logged
    stored = outbox_at_rest(page)
    assert NOTE not in stored and "notify" not in stored and "no_change" not in stored  # sealed
    assert counts(live_server)["contacts"] == 0

    browser_context.set_offline(False)  # the online event replays
    page.wait_for_function("() => document.getElementById('outbox-badge').dataset.count === '0'", timeout=20_000)
    assert counts(live_server) == {"contacts": 5, "distinct": 5, "flags": 1, "stored": 6, "held": 0}

    # Sign out (the outbox is empty): the answer carries Clear-Site-Data, the phone wipes itself.
    page.goto(live_server.url + "/round")
    page.wait_for_function("() => document.documentElement.dataset.offlineReady === '1'")
    with page.expect_response(lambda r: r.url.endswith("/signout")) as answer:
        page.locator("form[action='/signout'] button").click()
    assert answer.value.all_headers().get("clear-site-data") == '"cache", "storage"'
    page.wait_for_url("**/signin")
    browser_context.close()
    profile = tmp_path / "profile"
    markers = [*NAMES, NOTE, "港町1-4-5"]
    found, control = [], False
    for path in profile.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        control = control or b"/round" in data  # the search does see what the profile keeps
        for m in markers:
            if m.encode("utf-8") in data or m.encode("utf-16-le") in data:
                found.append((str(path.relative_to(profile)), m))
    assert control and found == [], found


def test_a_server_restart_mid_replay_loses_and_duplicates_nothing(live_server, browser_context, page):
    seeded = seed(live_server, households=3)
    start(live_server)
    # A browser without Background Sync: the page itself replays (the worker's replay is the same
    # protocol, covered by the first test), so the lost reply below is the page's own.
    page.add_init_script("Object.defineProperty(ServiceWorkerRegistration.prototype, 'sync', {get: () => undefined});")
    sign_in_cookie(page, live_server, seeded["token"], seeded["cookie"])
    ready_for_offline(page, live_server)
    browser_context.set_offline(True)
    page.goto(live_server.url + "/round")
    page.wait_for_function("() => document.documentElement.dataset.roundShown === '3'")
    # 120 entries: three batches of 50, 50 and 20.
    page.evaluate("""async (ids) => {
        for (let i = 0; i < 120; i++) {
            const h = ids[i % ids.length];
            await window.tsunaguOffline.enqueue("contact", h, {household_id: h, method: "phone", outcome: "no_change"});
        }
    }""", seeded["households"])
    assert badge_count(page) == 120
    calls = []

    def first_reply_lost_then_server_killed(route):
        calls.append(1)
        if len(calls) == 1:
            route.fetch()  # the server stores the first batch...
            live_server.process.terminate()  # ...and dies before the phone hears the answer
            live_server.process.wait(timeout=10)
            route.abort("connectionreset")
            return
        route.continue_()

    page.route("**/sync", first_reply_lost_then_server_killed)
    browser_context.set_offline(False)
    page.wait_for_timeout(1500)
    assert counts(live_server)["contacts"] == 50 and badge_count(page) == 120  # nothing dropped on the phone
    start(live_server)  # back up; the phone retries with backoff (5 s first)
    page.wait_for_function("() => document.getElementById('outbox-badge').dataset.count === '0'", timeout=30_000)
    assert counts(live_server) == {"contacts": 120, "distinct": 120, "flags": 0, "stored": 120, "held": 0}


def test_an_expired_session_keeps_the_outbox_and_a_paused_household_lands_in_the_review_list(
        live_server, browser_context, page):
    seeded = seed(live_server, households=2)
    start(live_server)
    sign_in_cookie(page, live_server, seeded["token"], seeded["cookie"])
    ready_for_offline(page, live_server)
    browser_context.set_offline(True)
    page.goto(live_server.url + "/round")
    page.wait_for_function("() => document.documentElement.dataset.roundShown === '2'")
    first, paused = seeded["households"]
    page.locator(f"#hh-{first} [data-quick-log]").click()
    page.locator(f"#hh-{paused} [data-quick-log]").click()
    page.wait_for_function("() => document.getElementById('outbox-badge').dataset.count === '2'")

    async def meanwhile(session):
        import datetime as dt

        from sqlalchemy import delete

        from server import sealing
        from server.auth.models import WebSession
        from server.households import service as households
        from server.scope import build_scope
        from server.users.models import User

        sealing.configure(load(live_server.env).data_key)
        await session.execute(delete(WebSession))  # the session expired while the phone was offline
        coord = await session.get(User, seeded["coord"])
        await households.change_status(session, actor=coord, scope=await build_scope(session, coord),
                                       household_id=paused, status="paused", reason="hospital",
                                       since=dt.date.today())

    live_server.run(meanwhile)
    browser_context.set_offline(False)
    page.locator("#outbox-status", has_text="もう一度サインインしてください").wait_for()
    assert badge_count(page) == 2 and counts(live_server)["contacts"] == 0  # kept, not sent

    async def sign_in_again(session):
        from server.auth.sessions import start_signed_in
        from server.users.models import User

        user = await session.get(User, seeded["comm"])
        token, _ = await start_signed_in(session, load(live_server.env), user=user, old=None, passkey_id=None)
        return token

    sign_in_cookie(page, live_server, live_server.run(sign_in_again), seeded["cookie"])
    page.goto(live_server.url + "/round")  # opening the app replays
    page.wait_for_function("() => document.documentElement.dataset.offlineReady === '1'", timeout=20_000)
    page.wait_for_function("() => document.getElementById('outbox-badge').dataset.count === '0'", timeout=20_000)
    assert counts(live_server) == {"contacts": 1, "distinct": 1, "flags": 0, "stored": 1, "held": 1}
    page.goto(live_server.url + "/sync/review")
    item = page.locator("li[id^=held-]")
    assert item.count() == 1 and "この世帯の見守りは休止中になりました" in item.inner_text()
    axe_check(page)
    assert_no_sideways_scroll(page)


def test_the_cached_round_opens_only_with_the_passkey_through_prf(live_server, browser_context, page):
    from tests.browser.conftest import virtual_authenticator

    seeded = seed(live_server, households=2)
    start(live_server)
    cdp, authenticator = virtual_authenticator(page)
    sign_in_cookie(page, live_server, seeded["token"], seeded["cookie"])
    page.goto(live_server.url + "/offline")
    # A passkey with PRF on this phone (as the person's sign-in passkey would be).
    prf = page.evaluate("""async () => {
        const cred = await navigator.credentials.create({publicKey: {
            rp: {id: "localhost", name: "Tsunagu"}, challenge: crypto.getRandomValues(new Uint8Array(32)),
            user: {id: crypto.getRandomValues(new Uint8Array(16)), name: "comm", displayName: "comm"},
            pubKeyCredParams: [{type: "public-key", alg: -7}, {type: "public-key", alg: -257}],
            authenticatorSelection: {residentKey: "required", userVerification: "required"},
            extensions: {prf: {}}}});
        return cred.getClientExtensionResults().prf;
    }""")
    assert prf and prf.get("enabled") is True
    ready_for_offline(page, live_server)
    assert page.evaluate("document.documentElement.dataset.roundKept") == "prf"
    browser_context.set_offline(True)
    page.goto(live_server.url + "/round")
    page.wait_for_function("() => document.documentElement.dataset.roundShown === '2'")
    assert NAMES[0] in page.locator("#offline-round").inner_text()
    # Without the passkey (another person holding the phone, no fingerprint) the round stays shut.
    cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": authenticator})
    page.goto(live_server.url + "/round")
    page.locator("#offline-round-empty").wait_for(state="visible", timeout=30_000)
    assert NAMES[0] not in page.content()


def test_a_concern_and_an_attendance_tap_made_offline_arrive_exactly_once(live_server, browser_context, page):
    def setup():
        async def go(session):
            from server import sealing
            from server.auth.sessions import start_signed_in
            from server.households.models import Person
            from tests.salons.builders import make_salon, on_roster, past_session
            from tests.watchover.builders import household
            from tests.watchover.conftest import make_town

            settings = load(live_server.env)
            sealing.configure(settings.data_key)
            town = await make_town(session)
            town.vol_same.locale = "ja"
            h = await household(session, town, volunteers=("vol_same",), people=((NAMES[0], "ヤマダ ハナコ", 1940),))
            person = (await session.scalars(select(Person).where(Person.household_id == h.id))).first()
            salon = await make_salon(session, town)
            await on_roster(session, town, salon, person.id)
            sess = await past_session(session, town, salon, 0)
            token, _ = await start_signed_in(session, settings, user=town.vol_same, old=None, passkey_id=None)
            return {"household": h.id, "person": person.id, "session": sess.id, "token": token,
                    "cookie": settings.session_cookie}
        return live_server.run(go)

    def arrived():
        from server.concerns.models import Concern
        from server.offline.models import SyncEntry
        from server.salons.models import Attendance

        async def go(session):
            concerns = (await session.scalars(select(Concern))).all()
            taps = (await session.scalars(select(Attendance))).all()
            stored = (await session.scalars(select(SyncEntry.kind).where(SyncEntry.status == "stored"))).all()
            return {"concerns": [(c.household_id, c.urgency) for c in concerns],
                    "taps": [(a.person_id, a.status) for a in taps], "stored": sorted(stored)}
        return live_server.run(go)

    seeded = setup()
    start(live_server)
    sign_in_cookie(page, live_server, seeded["token"], seeded["cookie"])
    ready_for_offline(page, live_server)
    # Both pages opened while there is signal, then the signal goes.
    page.goto(live_server.url + f"/concerns/new?household_id={seeded['household']}")
    page.wait_for_function("() => document.documentElement.dataset.offlineReady === '1'")
    salon = browser_context.new_page()
    salon.goto(live_server.url + f"/salons/sessions/{seeded['session']}")
    salon.wait_for_function("() => document.documentElement.dataset.offlineReady === '1'")
    browser_context.set_offline(True)

    page.locator("textarea[name=seen]").fill("足を引きずっていた")
    page.locator("form[action='/concerns'] button[type=submit]").last.click()
    page.wait_for_function("() => document.getElementById('outbox-badge').dataset.count === '1'")
    tap = salon.locator(f"#p-{seeded['person']} button[data-tap=present]")
    tap.click()
    salon.wait_for_function("() => document.getElementById('outbox-badge').dataset.count === '2'")
    assert tap.get_attribute("aria-pressed") == "true"
    assert "足を引きずっていた" not in outbox_at_rest(salon)  # sealed
    assert arrived() == {"concerns": [], "taps": [], "stored": []}

    browser_context.set_offline(False)  # the online event replays
    salon.wait_for_function("() => document.getElementById('outbox-badge').dataset.count === '0'", timeout=20_000)
    page.wait_for_function("() => document.getElementById('outbox-badge').dataset.count === '0'", timeout=20_000)
    salon.evaluate("() => window.tsunaguOffline.replay()")  # a further replay sends nothing again
    assert arrived() == {"concerns": [(seeded["household"], "normal")], "taps": [(seeded["person"], "present")],
                         "stored": ["attendance", "concern"]}
