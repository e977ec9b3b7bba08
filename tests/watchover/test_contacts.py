"""Logging contacts: idempotency, back-dating, visit coding, revisits, concerns, corrections,
代理入力, the round's order, the month's five blocks, and handover."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from server.assignments import service as assignments
from server.audit.models import AuditEvent
from server.concerns.models import Concern
from server.contacts import queries, service
from server.contacts.models import Contact, Revisit, note_of
from server.db import utcnow
from server.errors import Invalid, NotFound
from server.households import service as households
from server.i18n import TOKYO
from server.scope import build_scope, require_household
from tests.watchover.builders import cid, household, log


async def count(db, model) -> int:
    return await db.scalar(select(func.count()).select_from(model))


async def test_a_resend_with_the_same_client_id_is_stored_once(db, town):
    h = await household(db, town)
    key = cid()
    first, created = await log(db, town, "vol", h, client_id=key)
    again, created_again = await log(db, town, "vol", h, client_id=key)
    assert created and not created_again and first.id == again.id
    assert await count(db, Contact) == 1
    assert await db.scalar(select(func.count()).where(AuditEvent.action == "contact.logged")) == 1


async def test_volunteer_from_the_same_area_without_assignment_cannot_log(db, town):
    h = await household(db, town)
    for name in ("vol_same", "vol_west", "comm2", "pro", "analyst", "coord2"):
        with pytest.raises(NotFound):
            await log(db, town, name, h)
    assert await count(db, Contact) == 0


@pytest.mark.calendar
@pytest.mark.parametrize("days_back,ok", [(0, True), (1, True), (27, None), (70, False)])
async def test_back_dating_is_limited_to_this_and_last_tokyo_month(db, town, days_back, ok):
    h = await household(db, town)
    now = utcnow()
    when = now - dt.timedelta(days=days_back)
    if ok is None:  # decide from the calendar: allowed iff in this or the previous Tokyo month
        local, today = when.astimezone(TOKYO).date(), now.astimezone(TOKYO).date()
        ok = local >= service.previous_month_start(today)
    if ok:
        row, _ = await log(db, town, "comm", h, occurred_at=when)
        assert row.occurred_at == when
    else:
        with pytest.raises(Invalid) as caught:
            await log(db, town, "comm", h, occurred_at=when)
        assert "occurred_at" in caught.value.fields


@pytest.mark.calendar
async def test_first_day_of_previous_month_is_allowed_and_the_day_before_is_not(db, town):
    h = await household(db, town)
    today = utcnow().astimezone(TOKYO).date()
    first = service.previous_month_start(today)
    start = dt.datetime.combine(first, dt.time(0, 1), tzinfo=TOKYO)
    await log(db, town, "comm", h, occurred_at=start)
    with pytest.raises(Invalid):
        await log(db, town, "comm", h, occurred_at=start - dt.timedelta(minutes=2))
    with pytest.raises(Invalid):
        await log(db, town, "comm", h, occurred_at=utcnow() + dt.timedelta(hours=1))


async def test_counts_as_visit_follows_the_rule_at_log_time_and_is_never_rewritten(db, town):
    h = await household(db, town)
    phone, _ = await log(db, town, "comm", h, method="phone")
    visit, _ = await log(db, town, "comm", h, method="visit")
    absent, _ = await log(db, town, "comm", h, method="visit_absent")
    by_vol, _ = await log(db, town, "vol", h, method="visit")
    assert (phone.counts_as_visit, visit.counts_as_visit, absent.counts_as_visit, by_vol.counts_as_visit) == \
        (False, True, True, False)
    scope = await build_scope(db, town.coord)
    await households.update_watch_settings(
        db, actor=town.coord, scope=scope, municipality_id=town.municipality.id, consent_watch="presumed",
        consent_share="explicit", consent_evacuation="explicit", visit_methods=["visit", "phone"],
        absent_counts=False, salon_counts_for_cadence=False, term_end_month=11, term_end_day=30)
    await db.commit()
    phone2, _ = await log(db, town, "comm", h, method="phone")
    absent2, _ = await log(db, town, "comm", h, method="visit_absent")
    await db.refresh(phone)
    assert phone2.counts_as_visit and not absent2.counts_as_visit and not phone.counts_as_visit


@pytest.mark.calendar
async def test_absent_visit_sets_a_revisit_that_the_next_contact_closes(db, town):
    h = await household(db, town)
    tomorrow = utcnow().astimezone(TOKYO).date() + dt.timedelta(days=1)
    absent, _ = await log(db, town, "vol", h, method="visit_absent", revisit_on=tomorrow)
    assert absent.met_person_ids == []
    entry = (await queries.round_for(db, await build_scope(db, town.comm)))[0]
    assert [r.due_on for r in entry.revisits] == [tomorrow]
    await log(db, town, "comm", h, method="visit")
    assert (await db.scalars(select(Revisit))).one().closed_reason == "contact"
    with pytest.raises(Invalid):
        await log(db, town, "vol", h, method="visit", revisit_on=tomorrow)


@pytest.mark.parametrize("outcome,urgency", [("emergency", "emergency"), ("notify", "soon"), ("watch", "normal")])
async def test_flag_a_concern_takes_its_urgency_from_the_outcome(db, town, outcome, urgency):
    h = await household(db, town)
    row, _ = await log(db, town, "vol", h, outcome=outcome, signs=["mail_piling", "not_seen"], flag_concern=True)
    # The concerns issue: no longer a draft for the coordinator, a concern routed at once (here to the hub).
    flag = (await db.scalars(select(Concern))).one()
    assert (flag.urgency, flag.category, flag.contact_id, flag.state, flag.routed_by) == \
        (urgency, "other", row.id, "new", "fallback")
    assert flag.signs == ["mail_piling", "not_seen"] and flag.holder_id == town.vol.id


async def test_no_change_cannot_flag_a_concern(db, town):
    h = await household(db, town)
    with pytest.raises(Invalid):
        await log(db, town, "vol", h, outcome="no_change", flag_concern=True)


async def test_a_concern_is_never_blocked_by_consent(db, town):
    h = await household(db, town, consent="refused")
    # A refusal takes the household off the round, but the assigned volunteer may still raise a concern.
    await log(db, town, "vol", h, method="exterior", outcome="notify", flag_concern=True, signs=["smell_noise"])
    assert await count(db, Concern) == 1


async def test_met_names_only_consenting_members(db, town):
    h = await household(db, town, people=(("甲", "コウ", 1940), ("乙", "オツ", 1941)))
    from server.households.models import Person

    a, b = (await db.scalars(select(Person).where(Person.household_id == h.id).order_by(Person.id))).all()
    scope = await build_scope(db, town.coord)
    await households.record_consent(db, actor=town.coord, scope=scope, person_id=b.id, purpose="watch", given=False,
                                    given_on=dt.date(2026, 4, 1), given_by="self", method="verbal")
    await db.commit()
    row, _ = await log(db, town, "vol", h)
    assert row.met_person_ids == [a.id]
    with pytest.raises(Invalid):
        await log(db, town, "vol", h, met_person_ids=[b.id])


@pytest.mark.calendar
async def test_author_corrects_within_seven_days_and_the_old_row_is_kept(db, town):
    h = await household(db, town)
    row, _ = await log(db, town, "comm", h, method="visit", note="元気そう")
    scope = await build_scope(db, town.comm)
    new = await service.correct_contact(db, actor=town.comm, scope=scope, contact_id=row.id, data=service.ContactInput(
        household_id=h.id, client_id=cid(), method="phone", outcome="watch", note="電話に訂正"))
    await db.commit()
    await db.refresh(row)
    assert row.superseded_at is not None and new.corrects_id == row.id and note_of(new) == "電話に訂正"
    with pytest.raises(Invalid):  # the superseded row cannot be corrected again
        await service.withdraw_contact(db, actor=town.comm, scope=scope, contact_id=row.id)
    with pytest.raises(NotFound):  # someone else's entry
        await service.withdraw_contact(db, actor=town.vol, scope=await build_scope(db, town.vol), contact_id=new.id)
    row.created_at = utcnow() - dt.timedelta(days=8)
    new.created_at = utcnow() - dt.timedelta(days=8)
    await db.commit()
    with pytest.raises(Invalid):
        await service.withdraw_contact(db, actor=town.comm, scope=scope, contact_id=new.id)


@pytest.mark.calendar
async def test_withdrawing_the_only_contact_makes_the_household_due_again(db, town):
    h = await household(db, town)
    row, _ = await log(db, town, "vol", h)
    await db.refresh(h)
    assert h.last_contact_at is not None
    await service.withdraw_contact(db, actor=town.vol, scope=await build_scope(db, town.vol), contact_id=row.id)
    await db.commit()
    await db.refresh(h)
    assert h.last_contact_at is None


async def test_on_behalf_entry_counts_for_the_commissioner_and_the_audit_says_so(db, town):
    h = await household(db, town)
    row, _ = await log(db, town, "coord", h, on_behalf_of=town.comm.id, consults=[("elderly", "daily_support")])
    assert (row.author_id, row.owner_id, row.on_behalf_of_id, row.owner_role) == \
        (town.coord.id, town.comm.id, town.comm.id, "commissioner")
    event = (await db.scalars(select(AuditEvent).where(AuditEvent.action == "contact.logged"))).one()
    assert event.actor_id == town.coord.id and event.on_behalf_of_id == town.comm.id
    today = utcnow().astimezone(TOKYO).date()
    blocks = await queries.month_blocks(db, town.comm.id, today.year, today.month)
    assert blocks.consult_total == 1 and blocks.visits == 1
    with pytest.raises(NotFound):  # a commissioner cannot enter for someone else
        await log(db, town, "comm", h, on_behalf_of=town.comm2.id)
    with pytest.raises(Invalid):  # only for a commissioner
        await log(db, town, "coord", h, on_behalf_of=town.vol.id)


@pytest.mark.calendar
async def test_month_blocks_count_up_and_both_breakdowns_sum_to_the_total(db, town):
    h = await household(db, town)
    scope = await build_scope(db, town.comm)
    now = utcnow()
    today = now.astimezone(TOKYO).date()
    await log(db, town, "comm", h, consults=[("elderly", "daily_support"), ("children", "child_school")],
              liaisons=["agency"])
    await log(db, town, "comm", h, method="phone", liaisons=["commissioners"])
    await service.log_activity(db, actor=town.comm, scope=scope, client_id=cid(), kind="survey", occurred_on=today)
    await service.log_activity(db, actor=town.comm, scope=scope, client_id=cid(), kind="council", occurred_on=today)
    yesterday = today - dt.timedelta(days=1)
    if yesterday.month == today.month:
        await service.log_activity(db, actor=town.comm, scope=scope, client_id=cid(), kind="day", occurred_on=yesterday)
    await db.commit()
    blocks = await queries.month_blocks(db, town.comm.id, today.year, today.month)
    assert blocks.consult_total == 2 == sum(blocks.by_field.values()) == sum(blocks.by_content.values())
    assert blocks.by_field["elderly"] == 1 and blocks.by_content["child_school"] == 1
    assert blocks.other_total == 2 and blocks.other["survey"] == 1
    assert blocks.visits == 1 and blocks.liaison == 2
    assert blocks.days == (2 if yesterday.month == today.month else 1)


async def test_activity_items_are_for_commissioners_only(db, town):
    h = await household(db, town)
    with pytest.raises(Invalid):
        await log(db, town, "vol", h, consults=[("elderly", "daily_support")])
    with pytest.raises(Invalid):
        await log(db, town, "comm", h, consults=[("elderly", "not-a-content")])


@pytest.mark.calendar
async def test_round_orders_by_how_overdue_and_every_assignee_sees_the_same_due_date(db, town):
    never = await household(db, town, address="A")
    weekly = await household(db, town, address="B", cadence="weekly")
    monthly = await household(db, town, address="C", cadence="monthly")
    long_ago = utcnow() - dt.timedelta(days=10)
    await log(db, town, "comm", weekly, occurred_at=long_ago)   # 3 days overdue
    await log(db, town, "vol", monthly, occurred_at=long_ago)   # due in 20 days
    comm_round = await queries.round_for(db, await build_scope(db, town.comm))
    vol_round = await queries.round_for(db, await build_scope(db, town.vol))
    assert [e.household.id for e in comm_round] == [never.id, weekly.id, monthly.id]
    assert [(e.household.id, e.due_on) for e in comm_round] == [(e.household.id, e.due_on) for e in vol_round]
    assert comm_round[1].overdue_days == 3


@pytest.mark.calendar
async def test_salon_attendance_counts_toward_cadence_only_where_the_municipality_says(db, town):
    h = await household(db, town)
    await log(db, town, "vol", h, method="salon")
    await db.refresh(h)
    assert h.last_contact_at is not None
    scope = await build_scope(db, town.coord)
    await households.update_watch_settings(
        db, actor=town.coord, scope=scope, municipality_id=town.municipality.id, consent_watch="presumed",
        consent_share="explicit", consent_evacuation="explicit", visit_methods=["visit"], absent_counts=True,
        salon_counts_for_cadence=False, term_end_month=11, term_end_day=30)
    h2 = await household(db, town)
    await log(db, town, "vol", h2, method="salon")
    await db.refresh(h2)
    assert h2.last_contact_at is None


async def test_handover_moves_households_revisits_and_flags_to_the_successor_in_one_step(db, town):
    h = await household(db, town)
    tomorrow = utcnow().astimezone(TOKYO).date() + dt.timedelta(days=1)
    await log(db, town, "comm", h, method="visit_absent", revisit_on=tomorrow, outcome="watch", flag_concern=True)
    scope = await build_scope(db, town.coord)
    moved = await assignments.handover(db, actor=town.coord, scope=scope, municipality_id=town.municipality.id,
                                       from_user_id=town.comm.id, to_user_id=town.comm2.id)
    await db.commit()
    assert moved == 1
    with pytest.raises(NotFound):
        await require_household(db, await build_scope(db, town.comm), h.id)
    await require_household(db, await build_scope(db, town.comm2), h.id)
    assert (await db.scalars(select(Revisit))).one().user_id == town.comm2.id
    assert (await db.scalars(select(Concern))).one().holder_id == town.comm2.id
    assert [e.household.id for e in await queries.round_for(db, await build_scope(db, town.comm2))] == [h.id]


async def test_handover_without_successor_leaves_households_unassigned_and_ends_access(db, town):
    h = await household(db, town)
    scope = await build_scope(db, town.coord)
    await assignments.handover(db, actor=town.coord, scope=scope, municipality_id=town.municipality.id,
                               from_user_id=town.comm.id, to_user_id=None)
    await db.commit()
    assert [x.id for x in await assignments.unassigned(db, scope, town.municipality.id)] == [h.id]
    with pytest.raises(NotFound):
        await require_household(db, await build_scope(db, town.comm), h.id)


@pytest.mark.calendar
async def test_handover_at_term_end_keeps_access_until_the_end_of_that_day(db, town):
    h = await household(db, town)
    scope = await build_scope(db, town.coord)
    today = utcnow().astimezone(TOKYO).date()
    await assignments.handover(db, actor=town.coord, scope=scope, municipality_id=town.municipality.id,
                               from_user_id=town.comm.id, to_user_id=town.comm2.id,
                               effective_on=today + dt.timedelta(days=3))
    await db.commit()
    await require_household(db, await build_scope(db, town.comm), h.id)
    with pytest.raises(NotFound):
        await require_household(db, await build_scope(db, town.comm2), h.id)
    assert assignments.term_end(dt.date(2026, 12, 1)) == dt.date(2027, 11, 30)
    assert assignments.term_end(dt.date(2026, 11, 30)) == dt.date(2026, 11, 30)


async def test_commissioner_assigns_volunteers_only_within_own_households(db, town):
    h = await household(db, town, volunteers=())
    other = await household(db, town, area=town.n2, commissioner="comm2", volunteers=())
    scope = await build_scope(db, town.comm)
    await assignments.assign(db, actor=town.comm, scope=scope, household_id=h.id, user_id=town.vol_same.id,
                             role="volunteer")
    with pytest.raises(NotFound):
        await assignments.assign(db, actor=town.comm, scope=scope, household_id=h.id, user_id=town.comm2.id,
                                 role="commissioner")
    with pytest.raises(NotFound):
        await assignments.assign(db, actor=town.comm, scope=scope, household_id=other.id, user_id=town.vol.id,
                                 role="volunteer")
    with pytest.raises(Invalid):  # the assignee must hold the role
        await assignments.assign(db, actor=town.comm, scope=scope, household_id=h.id, user_id=town.pro.id,
                                 role="volunteer")


@pytest.mark.calendar
async def test_a_long_round_comes_in_pages_of_fifty_most_overdue_first(db, town):
    for i in range(55):
        await household(db, town, address=f"長屋{i:02d}", volunteers=())
    scope = await build_scope(db, town.comm)
    first, total = await queries.round_page(db, scope, offset=0)
    second, _ = await queries.round_page(db, scope, offset=queries.PER_PAGE)
    assert total == 55 and len(first) == 50 and len(second) == 5
    assert not {e.household.id for e in first} & {e.household.id for e in second}
    assert all(e.members for e in first + second)
