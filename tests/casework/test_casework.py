"""Sheets and versions, the legal-basis rules of a share, revocation, scope, conferences and their
actions, and 制度外ニーズ counts."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from server import clock
from server.audit.models import AuditEvent
from server.casework import queries, service
from server.casework.models import GAP_CATEGORIES, CaseSheetVersion, Gap
from server.db import utcnow
from server.errors import Conflict, Invalid, NotFound
from server.households import service as households
from server.i18n import TOKYO
from tests.casework.conftest import SECTIONS, consent, scope_of, start_sheet


async def audits(db, action: str) -> int:
    return await db.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == action)) or 0


# --- sheets ------------------------------------------------------------------------------------------

async def test_each_save_is_a_new_version_and_the_previous_stays_readable(db, world):
    csw = world.cast.csw
    sheet = await start_sheet(db, world)
    assert (sheet.version, sheet.organisation_id) == (1, world.cast.orgs.shakyo.id)
    await service.save_sheet(db, actor=csw, scope=await scope_of(db, csw), sheet_id=sheet.id, base_version=1,
                             sections=SECTIONS | {"money": "生活保護の相談を始めた"})
    scope = await scope_of(db, csw)
    latest = await queries.sheet_view(db, actor=csw, scope=scope, sheet_id=sheet.id)
    first = await queries.sheet_view(db, actor=csw, scope=scope, sheet_id=sheet.id, version=1)
    assert (latest.version.version, latest.sections["money"]) == (2, "生活保護の相談を始めた")
    assert (first.version.version, first.sections["money"]) == (1, "年金のみで生活")
    assert [v.version for v, _u in latest.versions] == [2, 1]
    assert await audits(db, "casework.sheet_saved") == 2


async def test_saving_over_a_version_someone_else_replaced_is_a_conflict(db, world):
    csw = world.cast.csw
    sheet = await start_sheet(db, world)
    await service.save_sheet(db, actor=csw, scope=await scope_of(db, csw), sheet_id=sheet.id, base_version=1,
                             sections=SECTIONS)
    with pytest.raises(Conflict):
        await service.save_sheet(db, actor=csw, scope=await scope_of(db, csw), sheet_id=sheet.id, base_version=1,
                                 sections=SECTIONS)
    assert await db.scalar(select(func.count(CaseSheetVersion.id))) == 2


async def test_a_sheet_needs_one_section_and_keeps_each_under_the_limit(db, world):
    with pytest.raises(Invalid) as empty:
        await start_sheet(db, world, sections={"money": "  "})
    assert "sections" in empty.value.fields
    with pytest.raises(Invalid) as long:
        await start_sheet(db, world, sections={"money": "あ" * 2001})
    assert "s_money" in long.value.fields


async def test_sections_are_sealed_at_rest(db, world):
    await start_sheet(db, world)
    blob = await db.scalar(select(CaseSheetVersion.sections_sealed))
    assert blob and "年金".encode() not in blob and "年金".encode() not in bytes(blob)


async def test_only_the_owning_organisation_reads_a_sheet(db, world):
    c = world.cast
    sheet = await start_sheet(db, world)
    for user in (c.support_centre, c.professional_other_org, c.coordinator, c.commissioner, c.coordinator_other_city):
        with pytest.raises(NotFound):
            await queries.sheet_view(db, actor=user, scope=await scope_of(db, user), sheet_id=sheet.id)


async def test_a_professional_without_the_household_cannot_start_a_sheet(db, world):
    c = world.cast
    for user in (c.support_centre, c.coordinator, c.commissioner):
        with pytest.raises(NotFound):
            await service.start_sheet(db, actor=user, scope=await scope_of(db, user), household_id=world.household.id,
                                      kind="intake", sections=SECTIONS)


# --- the legal basis of a share ---------------------------------------------------------------------------

async def share(db, world, sheet, basis="consent", to=None, **kw):
    csw = world.cast.csw
    return await service.share_sheet(db, actor=csw, scope=await scope_of(db, csw), sheet_id=sheet.id,
                                     to_organisation_id=(to or world.cast.orgs.support_centre_a).id, basis=basis,
                                     sections=kw.pop("sections", ["composition", "health"]),
                                     note_ids=kw.pop("note_ids", []), **kw)


async def test_consent_of_every_member_allows_sharing(db, world):
    sheet = await start_sheet(db, world)
    row = await share(db, world, sheet)
    assert (row.basis, row.sections, row.sheet_version) == ("consent", ["composition", "health"], 1)
    assert await audits(db, "casework.shared") == 1


async def test_a_withdrawn_consent_refuses_sharing_with_the_reason(db, world):
    c = world.cast
    sheet = await start_sheet(db, world)
    await households.withdraw_consent(db, actor=c.coordinator, scope=await scope_of(db, c.coordinator),
                                      person_id=world.son.id, purpose="share")
    with pytest.raises(Invalid) as refused:
        await share(db, world, sheet)
    assert refused.value.fields["basis"] == service.CONSENT_MISSING
    assert await audits(db, "casework.shared") == 0


async def test_a_member_who_never_consented_refuses_sharing(db, world):
    c = world.cast
    sheet = await start_sheet(db, world)
    await households.add_person(db, actor=c.coordinator, scope=await scope_of(db, c.coordinator),
                                household_id=world.household.id, municipality_id=None,
                                data=households.PersonInput(name="試験 花子", kana="シケン ハナコ", birth_year=1940))
    with pytest.raises(Invalid) as refused:
        await share(db, world, sheet)
    assert refused.value.fields["basis"] == service.CONSENT_MISSING
    # a refusal recorded as such refuses too
    await consent(db, c, world.father, given=False)


async def test_a_support_meeting_allows_sharing_with_a_member(db, world):
    sheet = await start_sheet(db, world)
    await households.withdraw_consent(db, actor=world.cast.coordinator, scope=await scope_of(db, world.cast.coordinator),
                                      person_id=world.son.id, purpose="share")
    row = await share(db, world, sheet, basis="meeting", meeting_id=world.meeting.id)
    assert (row.basis, row.meeting_id) == ("meeting", world.meeting.id)


async def test_a_non_member_of_the_support_meeting_is_refused(db, world):
    sheet = await start_sheet(db, world)
    with pytest.raises(Invalid) as refused:
        await share(db, world, sheet, basis="meeting", meeting_id=world.meeting.id,
                    to=world.cast.orgs.support_centre_b)
    assert refused.value.fields["basis"] == service.NOT_MEMBER
    with pytest.raises(Invalid) as missing:
        await share(db, world, sheet, basis="meeting", meeting_id=None)
    assert "meeting_id" in missing.value.fields


async def test_an_emergency_share_needs_a_reason_and_lands_in_the_review_list(db, world):
    c = world.cast
    sheet = await start_sheet(db, world)
    with pytest.raises(Invalid) as no_reason:
        await share(db, world, sheet, basis="emergency")
    assert "reason" in no_reason.value.fields
    row = await share(db, world, sheet, basis="emergency", reason="父が倒れ、救急搬送。息子の見守りが必要",
                      to=c.orgs.support_centre_b)
    await share(db, world, sheet)  # a consent share is not for review
    scope = await scope_of(db, c.coordinator)
    listed = await queries.review_list(db, actor=c.coordinator, scope=scope, municipality_id=c.city.id)
    assert [(s.id, reason) for s, _u, reason in listed["rows"]] == [(row.id, "父が倒れ、救急搬送。息子の見守りが必要")]
    await service.review_share(db, actor=c.coordinator, scope=scope, share_id=row.id)
    assert row.reviewed_by == c.coordinator.id
    with pytest.raises(NotFound):
        await queries.review_list(db, actor=c.coordinator_other_city,
                                  scope=await scope_of(db, c.coordinator_other_city), municipality_id=c.city.id)


async def test_a_statutory_report_needs_the_law_named(db, world):
    sheet = await start_sheet(db, world)
    with pytest.raises(Invalid) as unnamed:
        await share(db, world, sheet, basis="statutory", law=" ")
    assert "law" in unnamed.value.fields
    row = await share(db, world, sheet, basis="statutory", law="高齢者虐待防止法第7条", to=world.cast.orgs.hub)
    assert row.law == "高齢者虐待防止法第7条"


async def test_an_unknown_basis_or_organisation_is_refused(db, world):
    sheet = await start_sheet(db, world)
    with pytest.raises(Invalid) as bad:
        await share(db, world, sheet, basis="because")
    assert "basis" in bad.value.fields
    with pytest.raises(Invalid) as own:
        await share(db, world, sheet, to=world.cast.orgs.shakyo)
    assert "to_organisation_id" in own.value.fields
    with pytest.raises(Invalid) as council:
        await share(db, world, sheet, to=world.cast.orgs.council_a)
    assert "to_organisation_id" in council.value.fields


# --- reading, freezing and revoking -----------------------------------------------------------------------

async def test_the_recipient_sees_only_what_was_shared_as_of_sharing(db, world):
    c = world.cast
    sheet = await start_sheet(db, world)
    row = await share(db, world, sheet, sections=["money"])
    await service.save_sheet(db, actor=c.csw, scope=await scope_of(db, c.csw), sheet_id=sheet.id, base_version=1,
                             sections=SECTIONS | {"money": "後で書き直した"})
    view = await queries.share_view(db, actor=c.support_centre, scope=await scope_of(db, c.support_centre),
                                    share_id=row.id)
    assert view.role == "recipient"
    assert view.snapshot["sections"] == {"money": "年金のみで生活"}
    assert await audits(db, "casework.share_viewed") == 1


async def test_chosen_case_notes_travel_and_others_do_not(db, world):
    from server.concerns import service as concerns

    c = world.cast
    cscope = await scope_of(db, c.csw)
    kept = await concerns.add_note(db, actor=c.csw, scope=cscope, concern_id=world.concern.id, text="訪問し父と面談")
    await concerns.add_note(db, actor=c.csw, scope=cscope, concern_id=world.concern.id, text="共有しないメモ")
    sheet = await start_sheet(db, world)
    row = await share(db, world, sheet, sections=[], note_ids=[kept.id])
    view = await queries.share_view(db, actor=c.support_centre, scope=await scope_of(db, c.support_centre),
                                    share_id=row.id)
    assert [n["text"] for n in view.snapshot["notes"]] == ["訪問し父と面談"]
    with pytest.raises(Invalid):
        await share(db, world, sheet, note_ids=[kept.id + 1000])


async def test_revoking_hides_the_share_from_the_recipient(db, world):
    c = world.cast
    sheet = await start_sheet(db, world)
    row = await share(db, world, sheet)
    recipient = await scope_of(db, c.support_centre)
    assert [s.id for s in await queries.received(db, recipient)] == [row.id]
    await service.revoke_share(db, actor=c.csw, scope=await scope_of(db, c.csw), share_id=row.id)
    with pytest.raises(NotFound):
        await queries.share_view(db, actor=c.support_centre, scope=recipient, share_id=row.id)
    assert await queries.received(db, recipient) == []
    # the recipient cannot revoke; the sharer still sees it, marked revoked
    with pytest.raises(NotFound):
        await service.revoke_share(db, actor=c.support_centre, scope=recipient, share_id=row.id)
    mine = await queries.share_view(db, actor=c.csw, scope=await scope_of(db, c.csw), share_id=row.id)
    assert mine.role == "sharer" and mine.share.revoked_at is not None
    assert await audits(db, "casework.share_revoked") == 1


async def test_other_organisations_and_municipalities_never_see_a_share(db, world):
    c = world.cast
    sheet = await start_sheet(db, world)
    row = await share(db, world, sheet)
    for user in (c.professional_other_org, c.coordinator, c.coordinator_other_city, c.commissioner,
                 c.municipal_analyst):
        with pytest.raises(NotFound):
            await queries.share_view(db, actor=user, scope=await scope_of(db, user), share_id=row.id)


# --- conferences and actions ----------------------------------------------------------------------------

async def conference(db, world, actions, participants=None):
    c = world.cast
    return await service.record_conference(
        db, actor=c.csw, scope=await scope_of(db, c.csw), kind="case", held_on=dt.date(2026, 11, 20),
        participant_ids=participants if participants is not None else [c.support_centre.id, c.commissioner.id],
        outside="市生活福祉課 ケースワーカー", household_ids=[world.household.id], concern_ids=[world.concern.id],
        minutes="父の通院と息子の就労について検討", decisions="包括が父の介護認定を進める", actions=actions)


async def test_a_conference_records_three_actions_that_reach_their_owners_homes(db, world):
    c = world.cast
    today = clock.today_tokyo()
    row = await conference(db, world, [("父の介護認定申請", c.support_centre.id, today + dt.timedelta(days=7)),
                                       ("息子と面談", c.csw.id, today - dt.timedelta(days=1)),
                                       ("週1回の見守り訪問", c.commissioner.id, today + dt.timedelta(days=14))])
    assert row.participant_ids == sorted([c.csw.id, c.support_centre.id, c.commissioner.id])
    mine = await queries.open_actions(db, c.csw)
    assert [(a.text, a.overdue) for a in mine] == [("息子と面談", True)]
    theirs = await queries.open_actions(db, c.support_centre)
    assert [(a.text, a.overdue) for a in theirs] == [("父の介護認定申請", False)]
    # the owner completes it; someone else who is not the organiser cannot
    with pytest.raises(NotFound):
        await service.complete_action(db, actor=c.commissioner, scope=await scope_of(db, c.commissioner),
                                      action_id=theirs[0].action.id)
    await service.complete_action(db, actor=c.support_centre, scope=await scope_of(db, c.support_centre),
                                  action_id=theirs[0].action.id)
    assert await queries.open_actions(db, c.support_centre) == []


async def test_an_action_owner_must_be_a_participant(db, world):
    c = world.cast
    with pytest.raises(Invalid) as bad:
        await conference(db, world, [("x", c.professional_other_org.id, dt.date(2026, 12, 1))])
    assert "owner_1" in bad.value.fields
    with pytest.raises(Invalid) as other_city:
        await conference(db, world, [], participants=[c.coordinator_other_city.id])
    assert "participant_ids" in other_city.value.fields


async def test_participants_read_the_conference_and_outsiders_get_404(db, world):
    c = world.cast
    row = await conference(db, world, [])
    view = await queries.conference_view(db, actor=c.commissioner, scope=await scope_of(db, c.commissioner),
                                         conference_id=row.id)
    assert (view.role, view.minutes) == ("participant", "父の通院と息子の就労について検討")
    for user in (c.professional_other_org, c.volunteer, c.coordinator_other_city):
        with pytest.raises(NotFound):
            await queries.conference_view(db, actor=user, scope=await scope_of(db, user), conference_id=row.id)


async def test_a_support_meeting_conference_needs_the_organiser_to_be_a_member(db, world):
    c = world.cast
    args = dict(kind="support_meeting", held_on=dt.date(2026, 11, 20), participant_ids=[], outside="",
                household_ids=[world.household.id], concern_ids=[], minutes="m", decisions="", actions=[])
    row = await service.record_conference(db, actor=c.csw, scope=await scope_of(db, c.csw),
                                          meeting_id=world.meeting.id, **args)
    assert row.meeting_id == world.meeting.id
    with pytest.raises(Invalid):
        await service.record_conference(db, actor=c.csw, scope=await scope_of(db, c.csw), meeting_id=None, **args)


# --- 制度外ニーズ ------------------------------------------------------------------------------------------

async def test_a_gap_is_tagged_once_and_counted_by_area_category_and_month(db, world):
    c = world.cast
    scope = await scope_of(db, c.csw)
    gap = await service.tag_gap(db, actor=c.csw, scope=scope, concern_id=world.concern.id, category="employment",
                                line="50代の就労準備の場が市内にない")
    with pytest.raises(Invalid):
        await service.tag_gap(db, actor=c.csw, scope=scope, concern_id=world.concern.id, category="employment",
                              line="again")
    with pytest.raises(NotFound):
        await service.tag_gap(db, actor=c.support_centre, scope=await scope_of(db, c.support_centre),
                              concern_id=world.concern.id, category="money", line="x")
    await service.tag_gap(db, actor=c.csw, scope=scope, concern_id=world.concern.id, category="guarantor",
                          line="身元保証人がいない")
    old = await service.tag_gap(db, actor=c.csw, scope=scope, concern_id=world.concern.id, category="transport",
                                line="通院の足がない")
    old.created_at = dt.datetime(2026, 5, 10, 3, tzinfo=dt.UTC)
    await db.flush()
    month = gap.created_at.astimezone(TOKYO).strftime("%Y-%m")
    rows = await queries.gap_counts(db, area_ids=[c.hood_a1.id, c.hood_b1.id], start=dt.date(2026, 4, 1),
                                    end=utcnow().astimezone(TOKYO).date() + dt.timedelta(days=1))
    assert rows == sorted([(c.hood_a1.id, "employment", month, 1), (c.hood_a1.id, "guarantor", month, 1),
                           (c.hood_a1.id, "transport", "2026-05", 1)])
    assert await queries.gap_counts(db, area_ids=[c.hood_b1.id], start=dt.date(2026, 4, 1),
                                    end=dt.date(2027, 4, 1)) == []
    assert "employment" in GAP_CATEGORIES and await db.scalar(select(func.count(Gap.id))) == 3


async def test_a_gap_line_is_one_short_line(db, world):
    c = world.cast
    with pytest.raises(Invalid) as bad:
        await service.tag_gap(db, actor=c.csw, scope=await scope_of(db, c.csw), concern_id=world.concern.id,
                              category="nothing", line="あ" * 121)
    assert set(bad.value.fields) == {"category", "line"}


def test_fiscal_quarters_start_in_april():
    assert [queries.quarter_of(m) for m in ("2026-04", "2026-06", "2026-07", "2026-12", "2027-01", "2027-03")] == \
        ["FY2026-Q1", "FY2026-Q1", "FY2026-Q2", "FY2026-Q3", "FY2026-Q4", "FY2026-Q4"]
    assert queries.periods(dt.date(2026, 4, 1), dt.date(2026, 7, 1), "month") == ["2026-04", "2026-05", "2026-06"]
    assert queries.periods(dt.date(2026, 4, 1), dt.date(2026, 11, 28), "quarter") == \
        ["FY2026-Q1", "FY2026-Q2", "FY2026-Q3"]


# --- races (run on SQLite and PostgreSQL) ------------------------------------------------------------------

async def test_two_saves_over_the_same_version_one_wins_the_other_is_a_conflict(db, world, sessionmaker):
    import asyncio

    sheet = await start_sheet(db, world)
    await db.commit()
    csw = world.cast.csw

    async def save(text: str) -> str:
        async with sessionmaker() as session:
            try:
                await service.save_sheet(session, actor=csw, scope=await scope_of(session, csw), sheet_id=sheet.id,
                                         base_version=1, sections=SECTIONS | {"money": text})
                await session.commit()
                return "saved"
            except Conflict:
                await session.rollback()
                return "conflict"

    outcomes = await asyncio.gather(save("甲"), save("乙"))
    assert sorted(outcomes) == ["conflict", "saved"]
    async with sessionmaker() as session:
        versions = (await session.scalars(select(CaseSheetVersion.version).where(
            CaseSheetVersion.sheet_id == sheet.id).order_by(CaseSheetVersion.version))).all()
    assert versions == [1, 2]


async def test_two_tags_of_the_same_need_at_once_store_one(db, world, sessionmaker):
    import asyncio

    csw = world.cast.csw

    async def tag() -> str:
        async with sessionmaker() as session:
            try:
                await service.tag_gap(session, actor=csw, scope=await scope_of(session, csw),
                                      concern_id=world.concern.id, category="transport", line="通院の足がない")
                await session.commit()
                return "stored"
            except Invalid:
                await session.rollback()
                return "refused"

    assert sorted(await asyncio.gather(tag(), tag())) == ["refused", "stored"]
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count(Gap.id))) == 1
