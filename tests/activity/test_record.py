"""The commissioner's month: compiled from what was logged, adjusted with reasons, submitted as a
snapshot, locked against back-dated entries, reopened only by the council chair (audited)."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from server import clock
from server.activity import compile as c
from server.activity import queries, service
from server.activity.models import ActivityMonth, Adjustment, Submission
from server.audit.models import AuditEvent
from server.contacts import service as contacts
from server.contacts.models import Contact
from server.errors import Invalid, NotFound
from server.scope import build_scope
from tests.activity.builders import (
    activity,
    day_of_last_month,
    last_month,
    log,
    period,
    submit,
    watched,
)
from tests.helpers import post_form, sign_in


async def count(db, model, *where) -> int:
    n = await db.scalar(select(func.count()).select_from(model).where(*where))
    await db.commit()  # release SQLite's write lock (every transaction is BEGIN IMMEDIATE)
    return n


async def audited(db, action: str) -> int:
    return await count(db, AuditEvent, AuditEvent.action == action)


async def figures(db, user) -> dict:
    y, m = last_month()
    return (await queries.live_figures(db, [user.id], y, m))[user.id]


@pytest.mark.calendar
async def test_the_month_is_compiled_from_what_the_commissioner_logged(db, cast):
    h = await watched(db, cast)
    await log(db, cast.commissioner, h, when=day_of_last_month(3))
    await log(db, cast.commissioner, h, when=day_of_last_month(3, 15), method="phone",
              consults=[("elderly", "daily_support")], liaisons=["agency"])
    await log(db, cast.commissioner, h, when=day_of_last_month(12), method="visit_absent")
    await activity(db, cast.commissioner, "survey", day_of_last_month(20).date())
    f = await figures(db, cast.commissioner)
    assert f["visits"] == 2  # the phone call is not a visit under the default rules; 不在 is
    assert c.consult_total(f) == c.content_total(f) == 1
    assert f["field:elderly"] == 1 and f["content:daily_support"] == 1
    assert f["liaison:agency"] == 1 and c.liaison_total(f) == 1
    assert f["other:survey"] == 1 and f["days"] == 3


async def test_the_rounds_blocks_and_the_record_count_the_same(db, cast):
    from server.contacts.queries import month_blocks

    h = await watched(db, cast)
    await log(db, cast.commissioner, h, when=day_of_last_month(5), consults=[("children", "child_school")])
    await activity(db, cast.commissioner, "events", day_of_last_month(6).date())
    y, m = last_month()
    blocks = await month_blocks(db, cast.commissioner.id, y, m)
    f = await figures(db, cast.commissioner)
    assert (blocks.visits, blocks.consult_total, blocks.other_total, blocks.days) == (
        f["visits"], c.consult_total(f), c.other_total(f), f["days"]) == (1, 1, 1, 2)


async def test_a_volunteers_contacts_are_not_part_of_the_record(db, cast):
    h = await watched(db, cast)
    from server.assignments import service as assignments

    await assignments.assign(db, actor=cast.coordinator, scope=await build_scope(db, cast.coordinator),
                             household_id=h.id, user_id=cast.volunteer.id, role="volunteer")
    await db.commit()
    await log(db, cast.volunteer, h, when=day_of_last_month(4))
    assert (await figures(db, cast.volunteer))["visits"] == 0
    assert (await figures(db, cast.commissioner))["days"] == 0


async def test_an_adjustment_is_a_row_with_a_reason_never_an_overwritten_total(db, cast):
    h = await watched(db, cast)
    await log(db, cast.commissioner, h, when=day_of_last_month(2))
    y, m = last_month()
    scope = await build_scope(db, cast.commissioner)
    await service.add_adjustment(db, actor=cast.commissioner, scope=scope, year=y, month=m, item="visits",
                                 content=None, delta=2, reason="紙に書いた訪問")
    await service.add_adjustment(db, actor=cast.commissioner, scope=scope, year=y, month=m, item="field:children",
                                 content="content:child_school", delta=1, reason="学校で相談")
    await db.commit()
    f = await figures(db, cast.commissioner)
    assert f["visits"] == 3 and f["field:children"] == 1 and f["content:child_school"] == 1
    assert c.consult_total(f) == c.content_total(f) == 1
    assert await count(db, Adjustment) == 2 and await audited(db, "activity_record.adjusted") == 2
    # The contact itself is untouched: removing the adjustments gives back what was logged.
    assert await count(db, Contact) == 1


@pytest.mark.parametrize("item,content,delta,reason,field", [
    ("visits", None, 1, "", "reason"),
    ("visits", None, 0, "理由", "delta"),
    ("visits", None, -5, "理由", "delta"),            # would go below zero
    ("field:elderly", None, 1, "理由", "content"),    # a consultation needs its content too
    ("content:health", None, 1, "理由", "item"),      # the content alone would unbalance the breakdowns
    ("nonsense", None, 1, "理由", "item"),
    ("days", None, 40, "理由", "delta"),              # more days than the month has
    ("visits", None, 1, "長" * 201, "reason"),
])
async def test_a_bad_adjustment_is_refused_and_writes_nothing(db, cast, item, content, delta, reason, field):
    y, m = last_month()
    with pytest.raises(Invalid) as caught:
        await service.add_adjustment(db, actor=cast.commissioner, scope=await build_scope(db, cast.commissioner),
                                     year=y, month=m, item=item, content=content, delta=delta, reason=reason)
    assert field in caught.value.fields
    await db.rollback()
    assert await count(db, Adjustment) == 0


@pytest.mark.calendar
async def test_submitting_stores_a_snapshot_and_locks_the_month(db, cast):
    h = await watched(db, cast)
    contact = await log(db, cast.commissioner, h, when=day_of_last_month(8))
    act = await activity(db, cast.commissioner, "council", day_of_last_month(9).date())
    row = await submit(db, cast.commissioner)
    assert row.status == "submitted" and row.figures["visits"] == 1 and row.figures["days"] == 2
    assert await count(db, Submission) == 1 and await audited(db, "activity_record.submitted") == 1
    assert await service.month_locked(db, cast.commissioner.id, day_of_last_month(15)) is True
    assert await service.month_locked(db, cast.commissioner.id, contacts.utcnow()) is False
    assert await service.month_locked(db, cast.commissioner_same_hood.id, day_of_last_month(15)) is False
    # A back-dated contact, a correction, a withdrawal and an activity entry into it are all refused.
    with pytest.raises(Invalid) as caught:
        await log(db, cast.commissioner, h, when=day_of_last_month(20))
    assert caught.value.fields["occurred_at"] == "That month's activity record is already submitted."
    scope = await build_scope(db, cast.commissioner)
    with pytest.raises(Invalid):
        await contacts.correct_contact(db, actor=cast.commissioner, scope=scope, contact_id=contact.id,
                                       data=contacts.ContactInput(household_id=h.id, client_id="", method="phone",
                                                                  occurred_at=contact.occurred_at))
    with pytest.raises(Invalid):
        await contacts.withdraw_contact(db, actor=cast.commissioner, scope=scope, contact_id=contact.id)
    with pytest.raises(Invalid):
        await contacts.withdraw_activity(db, actor=cast.commissioner, activity_id=act.id)
    with pytest.raises(Invalid):
        await activity(db, cast.commissioner, "survey", day_of_last_month(21).date())
    y, m = last_month()
    with pytest.raises(Invalid):
        await service.add_adjustment(db, actor=cast.commissioner, scope=scope, year=y, month=m, item="visits",
                                     content=None, delta=1, reason="後から")
    assert await count(db, Contact) == 1 and await count(db, Adjustment) == 0
    # This month stays open: a contact today is fine.
    await log(db, cast.commissioner, h, when=contacts.utcnow())


async def test_a_second_submission_changes_nothing(db, cast):
    await submit(db, cast.commissioner)
    again = await submit(db, cast.commissioner)
    assert again.status == "submitted" and await count(db, Submission) == 1


@pytest.mark.calendar
async def test_the_running_month_cannot_be_submitted(db, cast):
    today = clock.today_tokyo()
    with pytest.raises(Invalid):
        await service.submit_month(db, actor=cast.commissioner, scope=await build_scope(db, cast.commissioner),
                                   year=today.year, month=today.month)
    assert await count(db, Submission) == 0


async def test_only_the_chair_of_the_council_reopens_and_it_is_audited(db, cast):
    await submit(db, cast.commissioner)
    y, m = last_month()
    council = cast.orgs.council_a.id
    for someone in (cast.commissioner, cast.chief_child, cast.coordinator, cast.municipal_analyst):
        with pytest.raises(NotFound):
            await service.reopen_month(db, actor=someone, scope=await build_scope(db, someone), council_id=council,
                                       commissioner_id=cast.commissioner.id, year=y, month=m, reason="訂正")
    chair = await build_scope(db, cast.council_chair)
    with pytest.raises(Invalid):
        await service.reopen_month(db, actor=cast.council_chair, scope=chair, council_id=council,
                                   commissioner_id=cast.commissioner.id, year=y, month=m, reason=" ")
    with pytest.raises(NotFound):  # not a member of the chair's council
        await service.reopen_month(db, actor=cast.council_chair, scope=chair, council_id=council,
                                   commissioner_id=cast.commissioner_same_hood.id, year=y, month=m, reason="訂正")
    row = await service.reopen_month(db, actor=cast.council_chair, scope=chair, council_id=council,
                                     commissioner_id=cast.commissioner.id, year=y, month=m, reason="訪問の記入漏れ")
    await db.commit()
    assert row.status == "open"
    s = (await db.scalars(select(Submission))).one()
    assert s.reopened_by == cast.council_chair.id and s.reopen_reason == "訪問の記入漏れ"
    event = (await db.scalars(select(AuditEvent).where(AuditEvent.action == "activity_record.reopened"))).one()
    assert event.actor_id == cast.council_chair.id and event.on_behalf_of_id == cast.commissioner.id
    assert await service.month_locked(db, cast.commissioner.id, day_of_last_month(2)) is False
    # Submitted again: a second snapshot, the first kept.
    await submit(db, cast.commissioner)
    assert await count(db, Submission) == 2


@pytest.mark.calendar
async def test_the_commissioner_reviews_adjusts_and_submits_through_the_pages(client, db, cast, sessionmaker, settings):
    h = await watched(db, cast)
    await log(db, cast.commissioner, h, when=day_of_last_month(6), consults=[("elderly", "care_insurance")])
    await sign_in(client, sessionmaker, settings, cast.commissioner)
    page = await client.get(f"/activity-record?month={period()}")
    assert page.status_code == 200
    assert f"/activity-record/entries?month={period()}&amp;item=visits" in page.text
    assert "How the figures are counted" in page.text or "数え方" in page.text
    bad = await post_form(client, "/activity-record/adjustments", {"month": period(), "item": "visits", "delta": "1"})
    assert bad.status_code == 422 and await count(db, Adjustment) == 0 and await count(db, ActivityMonth) == 0
    ok = await post_form(client, "/activity-record/adjustments",
                         {"month": period(), "item": "visits", "delta": "1", "reason": "電話で訪問の約束"})
    assert ok.status_code == 303
    done = await post_form(client, "/activity-record/submit", {"month": period()})
    assert done.status_code == 303
    row = (await db.scalars(select(ActivityMonth))).one()
    await db.commit()
    assert row.status == "submitted" and row.figures["visits"] == 2 and row.figures["content:care_insurance"] == 1
    # The entries behind the visit figure: the commissioner's own contact, audited with the household id.
    entries = await client.get(f"/activity-record/entries?month={period()}&item=visits")
    assert entries.status_code == 200 and "つなぐ町1-2-3" in entries.text
    event = (await db.scalars(select(AuditEvent).where(AuditEvent.action == "activity_record.entries_viewed"))).one()
    assert event.ids == [h.id]


async def test_entries_behind_a_figure_are_for_the_commissioner_and_who_entered_them_only(client, db, cast,
                                                                                          sessionmaker, settings):
    h = await watched(db, cast)
    await log(db, cast.coordinator, h, when=day_of_last_month(7), on_behalf_of=cast.commissioner.id)
    await log(db, cast.commissioner, h, when=day_of_last_month(8), method="exterior")
    url = f"/activity-record/entries?month={period()}&item=visits&of={cast.commissioner.id}"
    await sign_in(client, sessionmaker, settings, cast.coordinator)
    mine = await client.get(url)
    assert mine.status_code == 200 and mine.text.count("/households/") == 1  # only the one they entered
    await sign_in(client, sessionmaker, settings, cast.coordinator_csw)  # another coordinator: entered nothing
    assert (await client.get(url)).status_code == 404
    await sign_in(client, sessionmaker, settings, cast.commissioner_same_hood)
    assert (await client.get(url)).status_code == 404
    await sign_in(client, sessionmaker, settings, cast.commissioner)
    own = await client.get(f"/activity-record/entries?month={period()}&item=visits")
    assert own.status_code == 200 and own.text.count("/households/") == 2


@pytest.mark.calendar
async def test_a_contact_from_an_offline_phone_into_a_locked_month_gets_the_clear_message(client, db, cast,
                                                                                          sessionmaker, settings):
    h = await watched(db, cast)
    await submit(db, cast.commissioner)
    await sign_in(client, sessionmaker, settings, cast.commissioner)
    r = await post_form(client, f"/households/{h.id}/contacts", {
        "client_id": "abcdefgh1234", "method": "visit", "occurred_at": day_of_last_month(10).strftime("%Y-%m-%dT%H:%M")})
    assert r.status_code == 422
    assert "already submitted" in r.text or "提出済み" in r.text
    assert await count(db, Contact) == 0


@pytest.mark.calendar
async def test_month_locked_accepts_a_date_too(db, cast):
    await submit(db, cast.commissioner)
    assert await service.month_locked(db, cast.commissioner.id, day_of_last_month(1).date()) is True
    assert await service.month_locked(db, cast.commissioner.id, dt.date(2000, 1, 1)) is False
