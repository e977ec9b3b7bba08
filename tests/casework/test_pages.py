"""The casework pages without a browser: plain POST → 303, a refused share → 422 with the reason in
Japanese and nothing written, revoke → 404 for the recipient, every page in both languages, the
home screen's actions, and the step-up on exports."""
from __future__ import annotations

import datetime as dt
import io

from openpyxl import load_workbook
from sqlalchemy import func, select, update

from server import clock
from server.auth.models import WebSession
from server.casework import service
from server.casework.models import CaseShare, CaseSheet, CaseSheetVersion
from server.db import utcnow
from server.households import service as households
from tests.casework.conftest import SECTIONS, scope_of, start_sheet
from tests.helpers import post_form, sign_in


def sheet_form(**sections: str) -> dict:
    return {f"s_{k}": v for k, v in (SECTIONS | sections).items()}


async def test_a_csw_writes_an_intake_sheet_and_a_second_version_by_plain_posts(client, db, sessionmaker, settings,
                                                                                 world):
    await sign_in(client, sessionmaker, settings, world.cast.csw)
    new = await client.get(f"/casework/households/{world.household.id}/sheets/new?kind=intake&concern_id={world.concern.id}")
    assert new.status_code == 200 and 'name="s_composition"' in new.text
    r = await post_form(client, f"/casework/households/{world.household.id}/sheets",
                        {"kind": "intake", "concern_id": str(world.concern.id), **sheet_form()})
    assert r.status_code == 303
    sheet = (await db.scalars(select(CaseSheet))).one()
    await db.commit()  # the test's session lets go of SQLite's write lock
    r = await post_form(client, f"/casework/sheets/{sheet.id}", {"base_version": "1", **sheet_form(money="変更")})
    assert r.status_code == 303
    page = await client.get(f"/casework/sheets/{sheet.id}?v=1")
    assert page.status_code == 200 and "年金のみで生活" in page.text and 'data-version="1"' in page.text
    assert "試験" not in page.text.split("<title>")[1].split("</title>")[0]  # no resident's name in the title
    assert "css/casework.css" in page.text  # the print stylesheet
    stale = await post_form(client, f"/casework/sheets/{sheet.id}", {"base_version": "1", **sheet_form()})
    assert stale.status_code == 409
    empty = await post_form(client, f"/casework/sheets/{sheet.id}", {"base_version": "2"})
    assert empty.status_code == 422
    assert await db.scalar(select(func.count(CaseSheetVersion.id))) == 2


async def test_a_share_without_a_valid_basis_is_refused_422_with_the_reason_in_japanese(client, db, sessionmaker,
                                                                                         settings, world):
    c = world.cast
    sheet = await start_sheet(db, world)
    await households.withdraw_consent(db, actor=c.coordinator, scope=await scope_of(db, c.coordinator),
                                      person_id=world.son.id, purpose="share")
    await db.commit()
    await sign_in(client, sessionmaker, settings, c.csw)
    r = await post_form(client, f"/casework/sheets/{sheet.id}/shares", {
        "to_organisation_id": str(c.orgs.support_centre_a.id), "basis": "consent", "sections": "composition"})
    assert r.status_code == 422
    assert "本人同意による共有はできません" in r.text and "data-refused" in r.text
    r = await post_form(client, f"/casework/sheets/{sheet.id}/shares", {
        "to_organisation_id": str(c.orgs.support_centre_b.id), "basis": "meeting", "meeting_id": str(world.meeting.id),
        "sections": "composition"})
    assert r.status_code == 422 and "支援会議の構成機関ではない" in r.text
    r = await post_form(client, f"/casework/sheets/{sheet.id}/shares", {
        "to_organisation_id": str(c.orgs.hub.id), "basis": "statutory", "sections": "composition"})
    assert r.status_code == 422 and "法令名を書いてください" in r.text
    assert await db.scalar(select(func.count(CaseShare.id))) == 0


async def test_shared_then_revoked_is_404_for_the_recipient(client, db, sessionmaker, settings, world):
    c = world.cast
    sheet = await start_sheet(db, world)
    await db.commit()
    await sign_in(client, sessionmaker, settings, c.csw)
    r = await post_form(client, f"/casework/sheets/{sheet.id}/shares", {
        "to_organisation_id": str(c.orgs.support_centre_a.id), "basis": "consent", "sections": ["composition", "wishes"]})
    assert r.status_code == 303
    share_url = r.headers["location"].split("?")[0]
    await sign_in(client, sessionmaker, settings, c.support_centre)
    assert share_url in (await client.get("/casework/shares")).text
    page = await client.get(share_url)
    assert page.status_code == 200 and "父は息子の将来を心配している" in page.text and "年金のみで生活" not in page.text
    await sign_in(client, sessionmaker, settings, c.professional_other_org)
    assert (await client.get(share_url)).status_code == 404
    await sign_in(client, sessionmaker, settings, c.csw)
    assert (await post_form(client, f"{share_url}/revoke")).status_code == 303
    await sign_in(client, sessionmaker, settings, c.support_centre)
    assert (await client.get(share_url)).status_code == 404
    assert share_url not in (await client.get("/casework/shares")).text


async def test_every_page_renders_in_both_languages(client, db, sessionmaker, settings, world):
    c = world.cast
    sheet = await start_sheet(db, world)
    share = await service.share_sheet(db, actor=c.csw, scope=await scope_of(db, c.csw), sheet_id=sheet.id,
                                      to_organisation_id=c.orgs.hub.id, basis="emergency", reason="急変",
                                      sections=["health"], note_ids=[])
    conf = await service.record_conference(
        db, actor=c.csw, scope=await scope_of(db, c.csw), kind="regional", held_on=dt.date(2026, 11, 1),
        participant_ids=[c.coordinator.id], outside="", household_ids=[world.household.id], concern_ids=[],
        minutes="議事", decisions="決定", actions=[("面談", c.csw.id, dt.date(2026, 11, 2))])
    await db.commit()
    pages = {c.csw: [f"/casework/households/{world.household.id}", f"/casework/sheets/{sheet.id}",
                     f"/casework/sheets/{sheet.id}/edit", f"/casework/sheets/{sheet.id}/share",
                     f"/casework/shares/{share.id}", "/casework/shares", "/casework/conferences",
                     f"/casework/conferences/new?household_id={world.household.id}", f"/casework/conferences/{conf.id}",
                     f"/casework/concerns/{world.concern.id}/gap", "/casework/gaps?by=month", "/home",
                     f"/concerns/{world.concern.id}", f"/households/{world.household.id}"],
             c.coordinator: ["/casework/reviews", "/casework/meetings", f"/casework/meetings/{world.meeting.id}",
                             f"/casework/shares/{share.id}", f"/casework/conferences/{conf.id}", "/casework/gaps",
                             "/home"]}
    for user, urls in pages.items():
        await sign_in(client, sessionmaker, settings, user)
        for locale in ("ja", "en"):
            await post_form(client, "/language", {"locale": locale})
            for url in urls:
                r = await client.get(url)
                assert r.status_code == 200, (url, locale, r.status_code)
                assert "Traceback" not in r.text
    # the reviewer sees why, not what
    r = await client.get(f"/casework/shares/{share.id}")
    assert "急変" in r.text and "父は心疾患で通院" not in r.text


async def test_the_home_screen_lists_open_actions_with_overdue_marked_and_they_can_be_completed(
        client, db, sessionmaker, settings, world):
    c = world.cast
    today = clock.today_tokyo()
    await service.record_conference(
        db, actor=c.csw, scope=await scope_of(db, c.csw), kind="case", held_on=today, participant_ids=[],
        outside="", household_ids=[world.household.id], concern_ids=[], minutes="m", decisions="",
        actions=[("遅れている対応", c.csw.id, today - dt.timedelta(days=2)),
                 ("来週の対応", c.csw.id, today + dt.timedelta(days=5))])
    await db.commit()
    await sign_in(client, sessionmaker, settings, c.csw)
    home = await client.get("/home")
    assert home.text.count("data-action-item") == 2 and home.text.count("data-overdue") == 1
    assert home.text.index("遅れている対応") < home.text.index("来週の対応")
    first = (await queries_open(db, c.csw))[0]
    await db.commit()
    r = await post_form(client, f"/casework/actions/{first}/complete", {"next": "/home"})
    assert (r.status_code, r.headers["location"]) == (303, "/home")
    home = await client.get("/home")
    assert "遅れている対応" not in home.text and "来週の対応" in home.text


async def queries_open(db, user) -> list[int]:
    from server.casework.queries import open_actions

    return [a.action.id for a in await open_actions(db, user)]


async def test_gap_exports_need_a_fresh_passkey_and_are_audited(client, db, sessionmaker, settings, world):
    from server.audit.models import AuditEvent

    c = world.cast
    await service.tag_gap(db, actor=c.csw, scope=await scope_of(db, c.csw), concern_id=world.concern.id,
                          category="employment", line="就労準備の場がない")
    await db.commit()
    await sign_in(client, sessionmaker, settings, c.coordinator)
    csv = await client.get("/casework/gaps/export.csv")
    assert csv.status_code == 200 and csv.content.startswith(b"\xef\xbb\xbf")
    text = csv.content.decode("utf-8-sig")
    assert "北一丁目" in text and "1" in text.splitlines()[1]
    xlsx = await client.get("/casework/gaps/export.xlsx")
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["集計", "一覧"] and book["一覧"]["D2"].value == "就労準備の場がない"
    assert await db.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "casework.gaps_exported")) == 2
    await db.commit()
    page = await client.get("/casework/gaps?by=quarter")
    assert 'data-total="1"' in page.text
    async with sessionmaker() as s:
        await s.execute(update(WebSession).values(verified_at=utcnow() - dt.timedelta(hours=2)))
        await s.commit()
    r = await client.get("/casework/gaps/export.csv", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/stepup")


async def test_tagging_a_gap_is_a_plain_post_back_to_the_concern(client, db, sessionmaker, settings, world):
    await sign_in(client, sessionmaker, settings, world.cast.csw)
    bad = await post_form(client, f"/casework/concerns/{world.concern.id}/gaps", {"category": "employment", "line": ""})
    assert bad.status_code == 422
    r = await post_form(client, f"/casework/concerns/{world.concern.id}/gaps",
                        {"category": "employment", "line": "就労準備の場がない"})
    assert (r.status_code, r.headers["location"]) == (303, f"/concerns/{world.concern.id}?gap=1")


async def test_a_coordinator_keeps_support_meeting_members(client, db, sessionmaker, settings, world):
    c = world.cast
    await sign_in(client, sessionmaker, settings, c.coordinator)
    r = await post_form(client, f"/casework/meetings/{world.meeting.id}", {
        "name": "つなぐ市支援会議", "law": "社会福祉法第106条の6",
        "member_ids": [str(c.orgs.shakyo.id), str(c.orgs.support_centre_a.id), str(c.orgs.support_centre_b.id)]})
    assert r.status_code == 303
    bad = await post_form(client, "/casework/meetings", {"name": "", "law": "", "member_ids": [str(c.orgs.council_a.id)]})
    assert bad.status_code == 422
    await sign_in(client, sessionmaker, settings, c.coordinator_other_city)
    assert (await client.get(f"/casework/meetings/{world.meeting.id}")).status_code == 404


async def test_a_commissioner_reaches_their_actions_from_the_round(client, db, sessionmaker, settings, world):
    c = world.cast
    await service.record_conference(
        db, actor=c.csw, scope=await scope_of(db, c.csw), kind="regional", held_on=dt.date(2026, 11, 1),
        participant_ids=[c.commissioner.id], outside="", household_ids=[world.household.id], concern_ids=[],
        minutes="m", decisions="", actions=[("週1回の見守り訪問", c.commissioner.id, dt.date(2026, 11, 2))])
    await db.commit()
    await sign_in(client, sessionmaker, settings, c.commissioner)
    home = await client.get("/home")
    assert 'href="/casework/conferences"' in home.text
    # The round loads the person's open actions after the page: with the due date, overdue marked.
    assert 'hx-get="/casework/actions/mine"' in home.text
    part = await client.get("/casework/actions/mine")
    assert part.status_code == 200 and "週1回の見守り訪問" in part.text and "data-overdue" in part.text
    await sign_in(client, sessionmaker, settings, c.volunteer)
    assert "週1回の見守り訪問" not in (await client.get("/casework/actions/mine")).text  # only one's own
    await sign_in(client, sessionmaker, settings, c.commissioner)
    page = await client.get("/casework/conferences")
    assert page.status_code == 200 and "週1回の見守り訪問" in page.text and "data-overdue" in page.text
