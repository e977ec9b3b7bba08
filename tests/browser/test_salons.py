"""The salon journey in a real browser (issue 8, item 9): the organiser takes attendance on a
phone with one regular absent for the second time in a row → that person shows on the round of
the volunteer who covers them as サロンに来なくなった, one tap from a visit due; the outcome clears it."""
from __future__ import annotations

from sqlalchemy import select

from server.config import load
from tests.browser.conftest import (
    assert_no_sideways_scroll,
    axe_check,
    start,
    switch_person,
)


def seed_salon(server) -> dict:
    async def go(session):
        from server import sealing
        from server.auth.sessions import start_signed_in
        from server.households.models import Person
        from tests.salons.builders import make_salon, mark, on_roster, past_session
        from tests.watchover.builders import household, log
        from tests.watchover.conftest import make_town

        settings = load(server.env)
        sealing.configure(settings.data_key)
        town = await make_town(session)
        for who in ("vol", "vol_same", "coord"):
            town.users[who].locale = "ja"
        salon = await make_salon(session, town, organiser="vol_same")
        regular = await household(session, town, people=(("浜田 キヨ", "ハマダ キヨ", 1938),), address="港町5-6-7")
        other = await household(session, town, people=(("浜口 正一", "ハマグチ ショウイチ", 1941),), address="港町8-9")
        await log(session, town, "vol", regular)  # visited yesterday: not due until next week
        kiyo = (await session.scalars(select(Person).where(Person.household_id == regular.id))).one()
        shoichi = (await session.scalars(select(Person).where(Person.household_id == other.id))).one()
        for p in (kiyo, shoichi):
            await on_roster(session, town, salon, p.id)
        last_month = await past_session(session, town, salon, 14)
        await mark(session, town, last_month, kiyo.id, "absent")
        await mark(session, town, last_month, shoichi.id, "present")
        today = await past_session(session, town, salon, 0)
        from server.salons import service
        from server.scope import build_scope
        from tests.salons.builders import future_session

        coming = await future_session(session, town, salon, 5)
        await service.set_public_signup(session, actor=town.coord, scope=await build_scope(session, town.coord),
                                        session_id=coming.id, on=True)
        organiser, _ = await start_signed_in(session, settings, user=town.vol_same, old=None, passkey_id=None)
        volunteer, _ = await start_signed_in(session, settings, user=town.vol, old=None, passkey_id=None)
        coordinator, _ = await start_signed_in(session, settings, user=town.coord, old=None, passkey_id=None)
        return {"salon": salon.id, "session": today.id, "kiyo": kiyo.id, "shoichi": shoichi.id,
                "household": regular.id, "organiser": organiser, "volunteer": volunteer,
                "coordinator": coordinator, "cookie": settings.session_cookie, "join": coming.join_token}

    return server.run(go)


def as_user(page, server, seeded, who: str) -> None:
    switch_person(page, server, seeded["cookie"], seeded[who])


def test_a_second_absence_reaches_the_covering_volunteers_round(live_server, page):
    seeded = seed_salon(live_server)
    start(live_server)
    as_user(page, live_server, seeded, "organiser")
    page.goto(live_server.url + "/home")
    page.get_by_role("link", name="サロン").click()
    page.locator(f"a[href=\"/salons/{seeded['salon']}\"]").click()
    page.goto(live_server.url + f"/salons/sessions/{seeded['session']}")
    kiyo, shoichi = page.locator(f"#p-{seeded['kiyo']}"), page.locator(f"#p-{seeded['shoichi']}")
    assert "浜田 キヨ" in kiyo.inner_text()
    axe_check(page)
    assert_no_sideways_scroll(page)
    page.set_viewport_size({"width": 390, "height": 844})
    # One tap each (htmx swaps the line in place; no page load).
    shoichi.locator("[data-tap=present]").click()
    page.locator(f"#p-{seeded['shoichi']} [data-status=present]").wait_for()
    page.locator(f"#p-{seeded['kiyo']} [data-tap=absent]").click()
    page.locator(f"#p-{seeded['kiyo']} [data-status=absent]").wait_for()
    assert "欠席" in page.locator(f"#p-{seeded['kiyo']}").inner_text()
    # The organiser's follow-up list has her.
    page.goto(live_server.url + f"/salons/{seeded['salon']}")
    assert "気にかけたい方 1人" in page.locator("[data-followups]").inner_text()
    # The volunteer who covers her household sees the sign on the round, one tap from a visit due.
    as_user(page, live_server, seeded, "volunteer")
    page.goto(live_server.url + "/home")
    card = page.locator(f"#hh-{seeded['household']}")
    assert "サロンに来なくなった" in card.inner_text() and "浜田 キヨ" in card.inner_text()
    assert "今日が訪問予定日" not in card.inner_text()  # visited yesterday: not due by the cadence
    axe_check(page)
    card.locator("[data-visit-due]").click()
    page.wait_for_url("**/round**")
    card = page.locator(f"#hh-{seeded['household']}")
    assert "今日が訪問予定日" in card.locator(".round-due").inner_text()  # the one tap made it due
    card.get_by_role("link", name="その後の様子を記録する").click()
    page.get_by_label("訪問した: お元気だった").check()
    page.locator("[data-outcome]").click()
    page.wait_for_url("**/round**")
    assert "サロンに来なくなった" not in page.locator(f"#hh-{seeded['household']}").inner_text()
    assert_no_sideways_scroll(page)
    assert page.js_errors == []


def test_salon_pages_fit_a_small_phone_and_pass_axe(live_server, page):
    seeded = seed_salon(live_server)
    start(live_server)
    as_user(page, live_server, seeded, "coordinator")
    for path in ("/salons", "/salons/new", "/salons/places", f"/salons/{seeded['salon']}",
                 f"/salons/{seeded['salon']}/roster", f"/salons/{seeded['salon']}/followups",
                 f"/salons/{seeded['salon']}/report", f"/salons/sessions/{seeded['session']}/calls"):
        page.goto(live_server.url + path)
        assert_no_sideways_scroll(page, 320)
        axe_check(page)
        page.set_viewport_size({"width": 390, "height": 844})
    # The public sign-up page, with no account: fits, passes axe, and takes a sign-up.
    page.goto("about:blank")  # signed out by dropping the session cookie only (see switch_person)
    page.context.clear_cookies(name=seeded["cookie"])
    page.goto(live_server.url + f"/join/{seeded['join']}")
    assert_no_sideways_scroll(page, 320)
    axe_check(page)
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_label("お名前").fill("公開 花子")
    page.get_by_label("電話番号").fill("090-1111-2222")
    page.get_by_role("button", name="申し込む").click()
    page.get_by_text("申し込みを受け付けました").wait_for()
    assert page.js_errors == []
