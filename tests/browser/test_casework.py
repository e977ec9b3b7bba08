"""A collaboration sheet in a real browser (issue 7, item 5): a CSW writes an intake sheet and shares
chosen sections with the support centre under 本人同意 → the support centre's professional opens it
→ the CSW revokes it → it is gone for them. Every page passes axe and the 320px check."""
from __future__ import annotations

import re
import uuid

from server.config import load
from tests.browser.conftest import (
    assert_no_sideways_scroll,
    axe_check,
    start,
    switch_person,
)


def seed(server) -> dict:
    async def go(session):
        import datetime as dt

        from server import sealing
        from server.auth.sessions import start_signed_in
        from server.concerns import service as concerns
        from server.households import service as households
        from server.scope import build_scope
        from tests.concerns.conftest import make_household
        from tests.personas import build_cast

        settings = load(server.env)
        sealing.configure(settings.data_key)
        cast = await build_cast(session)
        for u in cast.users.values():
            u.locale = "ja"
        scope = await build_scope(session, cast.coordinator)
        await concerns.save_route(session, actor=cast.coordinator, scope=scope, municipality_id=cast.city.id,
                                  area_id=None, target_group=None, category="isolation",
                                  organisation_id=cast.orgs.shakyo.id)
        h, person = await make_household(session, cast, cast.hood_a1)
        await households.record_consent(session, actor=cast.coordinator, scope=scope, person_id=person.id,
                                        purpose="share", given=True, given_on=dt.date(2026, 4, 1), given_by="self",
                                        method="paper")
        concern, _ = await concerns.raise_concern(session, actor=cast.commissioner, client_id=uuid.uuid4().hex,
                                                  household_id=h.id, target_group="other", category="isolation",
                                                  urgency="normal", seen="外出していない様子")
        tokens = {}
        for name in ("csw", "support_centre"):
            tokens[name], _ = await start_signed_in(session, settings, user=cast.users[name], old=None, passkey_id=None)
        return {"household_id": h.id, "concern_id": concern.id, "cookie": settings.session_cookie, "tokens": tokens,
                "support_centre_org": cast.orgs.support_centre_a.id}

    return server.run(go)


def as_user(page, server, seeded, name: str) -> None:
    switch_person(page, server, seeded["cookie"], seeded["tokens"][name])


def check(page) -> None:
    axe_check(page)
    assert_no_sideways_scroll(page, 320)
    page.set_viewport_size({"width": 390, "height": 800})


def test_a_csw_shares_under_consent_the_centre_reads_it_and_the_revoke_takes_it_away(live_server, page):
    seeded = seed(live_server)
    start(live_server)
    url = live_server.url

    # 1. The CSW starts an intake sheet from the concern.
    as_user(page, live_server, seeded, "csw")
    page.goto(f"{url}/concerns/{seeded['concern_id']}")
    page.get_by_role("link", name="相談受付票を作成する").click()
    page.wait_for_url(re.compile(r".*/sheets/new.*"))
    check(page)
    page.locator("#f-s_composition").fill("父（85）と長男（54）の二人暮らし")
    page.locator("#f-s_money").fill("年金のみで生活。滞納あり")
    page.locator("#f-s_wishes").fill("父は息子の将来を心配している")
    page.get_by_role("button", name="この版を保存する").click()
    page.wait_for_url(re.compile(r".*/casework/sheets/\d+\?saved=1"))
    assert "第1版として保存しました" in page.inner_text("main")
    check(page)
    # Printed: the sheet alone (no header, menus, buttons or version list).
    page.emulate_media(media="print")
    assert page.locator("header.top").is_hidden() and page.locator("[data-print]").is_hidden()
    assert page.locator("[data-section=wishes]").is_visible()
    page.emulate_media(media="screen")

    # 2. Shares two sections (not the money) with the support centre under 本人同意.
    page.get_by_role("link", name="他の機関と共有する").click()
    page.wait_for_url(re.compile(r".*/share$"))
    page.locator("#f-to").select_option(str(seeded["support_centre_org"]))
    page.locator("input[name=sections][value=composition]").check()
    page.locator("input[name=sections][value=wishes]").check()
    page.locator("input[name=basis][value=consent]").check()
    check(page)
    page.get_by_role("button", name="共有する", exact=True).click()
    page.wait_for_url(re.compile(r".*/casework/shares/\d+\?shared=1"))
    share_url = page.url.split("?")[0]
    assert "と共有しました" in page.inner_text("main")
    check(page)

    # 3. The support centre's professional finds it and opens it: only the chosen sections.
    as_user(page, live_server, seeded, "support_centre")
    page.goto(f"{url}/casework/shares")
    check(page)
    page.locator(f"a[href='{share_url.removeprefix(url)}']").click()
    page.wait_for_url(share_url)
    main = page.inner_text("main")
    assert "父は息子の将来を心配している" in main and "本人同意" in main and "年金のみ" not in main
    check(page)

    # 4. The CSW revokes it.
    as_user(page, live_server, seeded, "csw")
    page.goto(share_url)
    page.locator("[data-revoke]").click()
    page.locator("[data-revoked]").wait_for()
    check(page)

    # 5. Gone for the support centre: 404, and no longer listed.
    as_user(page, live_server, seeded, "support_centre")
    assert page.goto(share_url).status == 404
    page.js_errors.clear()  # the console's note about that 404 is expected
    page.goto(f"{url}/casework/shares")
    assert page.locator("[data-empty]").count() == 1
    check(page)
    assert page.js_errors == []
