"""Raising, routing, response targets, access, feedback, notes, transfer, death and handover."""
from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import pytest
from sqlalchemy import func, select

from server.audit.models import AuditEvent
from server.concerns import queries, routing, service, targets
from server.concerns.models import Concern, ConcernEvent
from server.errors import Invalid, NotFound
from server.households import service as households
from server.i18n import TOKYO
from server.scope import build_scope, require_household
from tests.concerns.conftest import make_household


def cid() -> str:
    return uuid.uuid4().hex


async def raise_(db, actor, household=None, **kw):
    base = {"target_group": "elderly", "category": "health", "urgency": "soon", "seen": "郵便物がたまっている"}
    base.update(kw)
    row, created = await service.raise_concern(db, actor=actor, client_id=kw.pop("client_id", None) or cid(),
                                               household_id=household.id if household else None,
                                               **{k: v for k, v in base.items() if k != "client_id"})
    return row


# --- routing ----------------------------------------------------------------------------------------

async def test_an_elderly_concern_goes_to_its_district_s_support_centre(db, world):
    c = world.cast
    row = await raise_(db, c.volunteer, world.household)
    assert (row.organisation_id, row.routed_by, row.route_id is not None) == (c.orgs.support_centre_a.id, "route", True)
    other = await raise_(db, c.coordinator, world.household_b)
    assert other.organisation_id == c.orgs.support_centre_b.id


async def test_children_go_to_the_child_section_and_isolation_to_the_council(db, world):
    c = world.cast
    assert (await raise_(db, c.volunteer, world.household, target_group="children")).organisation_id == c.orgs.child_section.id
    # the district's elderly rule is more specific than the municipality-wide isolation rule
    assert (await raise_(db, c.volunteer, world.household, category="isolation")).organisation_id == \
        c.orgs.support_centre_a.id
    assert (await raise_(db, c.volunteer, world.household, target_group="other", category="isolation")
            ).organisation_id == c.orgs.shakyo.id


async def test_no_matching_rule_lands_at_the_one_stop_hub_never_nowhere(db, world):
    c = world.cast
    row = await raise_(db, c.volunteer, world.household, target_group="other", category="housing")
    assert (row.organisation_id, row.routed_by, row.route_id) == (c.orgs.hub.id, "fallback", None)


async def test_a_neighbourhood_rule_beats_the_district_rule(db, world):
    c = world.cast
    scope = await build_scope(db, c.coordinator)
    await service.save_route(db, actor=c.coordinator, scope=scope, municipality_id=c.city.id, area_id=c.hood_a1.id,
                             target_group=None, category=None, organisation_id=c.orgs.shakyo.id)
    org, route = await routing.resolve(db, municipality_id=c.city.id, area_id=c.hood_a1.id, target_group="elderly",
                                       category="health")
    assert org.id == c.orgs.shakyo.id and route.area_id == c.hood_a1.id
    org, _ = await routing.resolve(db, municipality_id=c.city.id, area_id=c.hood_a2.id, target_group="elderly",
                                   category="health")
    assert org.id == c.orgs.support_centre_a.id


async def test_coordinators_edit_only_their_own_routing_table(db, world):
    c = world.cast
    with pytest.raises(NotFound):
        await service.save_route(db, actor=c.coordinator_other_city, scope=await build_scope(db, c.coordinator_other_city),
                                 municipality_id=c.city.id, area_id=None, target_group=None, category=None,
                                 organisation_id=c.orgs.hub.id)
    with pytest.raises(Invalid) as e:
        await service.save_route(db, actor=c.coordinator, scope=await build_scope(db, c.coordinator),
                                 municipality_id=c.city.id, area_id=None, target_group="nobody", category=None,
                                 organisation_id=c.orgs.council_a.id)
    assert set(e.value.fields) == {"target_group", "organisation_id"}


# --- raising ----------------------------------------------------------------------------------------

async def test_a_resend_with_the_same_client_id_stores_one_concern(db, world):
    c = world.cast
    key = cid()
    first = await raise_(db, c.volunteer, world.household, client_id=key)
    again, created = await service.raise_concern(db, actor=c.volunteer, client_id=key, household_id=world.household.id,
                                                 target_group="elderly", category="health", urgency="soon", seen="x")
    assert (again.id, created) == (first.id, False)
    assert await db.scalar(select(func.count(Concern.id))) == 1


@pytest.mark.parametrize("racers", [2, 6])
async def test_concurrent_resends_store_one_concern(sessionmaker, db, world, racers):
    """The outbox replays while the page's own POST is in flight: UNIQUE (reporter, client id) decides."""
    c = world.cast
    key = cid()

    async def send() -> tuple[int, bool]:
        async with sessionmaker() as session, session.begin():
            row, created = await service.raise_concern(
                session, actor=c.volunteer, client_id=key, household_id=world.household.id, target_group="elderly",
                category="health", urgency="soon", seen="同時送信")
            return row.id, created

    results = await asyncio.gather(*(send() for _ in range(racers)))
    assert len({r for r, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count(Concern.id)).where(Concern.client_id == key)) == 1
        assert await session.scalar(select(func.count(ConcernEvent.id)).where(ConcernEvent.kind == "move")) == 1


async def test_bad_input_names_each_field_and_writes_nothing(db, world):
    c = world.cast
    with pytest.raises(Invalid) as e:
        await service.raise_concern(db, actor=c.volunteer, client_id=cid(), household_id=world.household.id,
                                    target_group="aliens", category="?", urgency="now", seen="", done="x" * 1001)
    assert set(e.value.fields) == {"target_group", "category", "urgency", "seen", "done"}
    with pytest.raises(Invalid) as e:
        await service.raise_concern(db, actor=c.volunteer, client_id="short", household_id=world.household.id,
                                    target_group="elderly", category="health", urgency="soon", seen="x")
    assert set(e.value.fields) == {"client_id"}
    assert await db.scalar(select(func.count(Concern.id))) == 0


async def test_a_concern_about_an_unregistered_resident_needs_a_place_in_the_reporter_s_municipality(db, world):
    c = world.cast
    row = await raise_(db, c.volunteer, None, area_id=c.hood_a1.id, place="公園の角のアパート", target_group="children",
                       category="abuse", urgency="soon")
    assert (row.household_id, row.area_id, row.organisation_id, row.basis) == \
        (None, c.hood_a1.id, c.orgs.child_section.id, "statutory")
    assert service.unseal(row.place_sealed, "place") == "公園の角のアパート"
    # casual watch-over: anywhere in the volunteer's own municipality, a neighbourhood, with a place
    assert (await raise_(db, c.volunteer, None, area_id=c.hood_b1.id, place="駅前")).area_id == c.hood_b1.id
    with pytest.raises(Invalid) as e:
        await raise_(db, c.volunteer, None, area_id=c.district_a.id, place="")
    assert set(e.value.fields) == {"area_id", "place"}
    with pytest.raises(Invalid) as e:
        await raise_(db, c.volunteer, None, area_id=c.other_city.id, place="隣町")
    assert set(e.value.fields) == {"area_id"}


async def test_consent_never_blocks_a_concern_and_the_basis_is_recorded(db, world):
    c = world.cast
    scope = await build_scope(db, c.coordinator)
    await households.record_consent(db, actor=c.coordinator, scope=scope, person_id=world.person.id, purpose="share",
                                    given=False, given_on=dt.date(2026, 4, 1), given_by="self", method="paper")
    assert (await raise_(db, c.volunteer, world.household, category="abuse")).basis == "statutory"
    assert (await raise_(db, c.volunteer, world.household, urgency="emergency")).basis == "emergency"
    assert (await raise_(db, c.volunteer, world.household)).basis == "welfare"
    await households.record_consent(db, actor=c.coordinator, scope=scope, person_id=world.person.id, purpose="share",
                                    given=True, given_on=dt.date(2026, 4, 2), given_by="self", method="paper")
    assert (await raise_(db, c.volunteer, world.household)).basis == "consent"


async def test_nobody_raises_about_a_household_outside_their_scope(db, world):
    c = world.cast
    for outsider in (c.volunteer_other_district, c.commissioner_same_hood, c.coordinator_other_city):
        with pytest.raises(NotFound):
            await raise_(db, outsider, world.household)
    with pytest.raises(NotFound):  # analysts raise nothing
        await raise_(db, c.municipal_analyst, None, area_id=c.hood_a1.id, place="x")


async def test_the_audit_row_carries_ids_never_text(db, world):
    row = await raise_(db, world.cast.volunteer, world.household, seen="秘密の内容")
    event = (await db.scalars(select(AuditEvent).where(AuditEvent.action == "concern.raised"))).one()
    assert event.object_id == row.id
    assert "秘密" not in repr({k: v for k, v in vars(event).items() if not k.startswith("_")})
    assert b"\xe7\xa7\x98\xe5\xaf\x86" not in (row.seen_sealed or b"")  # sealed at rest


# --- response targets -------------------------------------------------------------------------------

def tokyo(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TOKYO).astimezone(dt.UTC)


def test_targets_count_working_days_and_skip_holidays():
    d = targets.DEFAULTS
    hol = {dt.date(2026, 11, 23)}  # 勤労感謝の日 (a Monday)
    assert targets.due_at(tokyo(2026, 11, 20, 10), "emergency", d, hol) == tokyo(2026, 11, 20, 11)
    # Friday 10:00 + 1 working day: Monday is a holiday, so Tuesday 10:00
    assert targets.due_at(tokyo(2026, 11, 20, 10), "soon", d, hol) == tokyo(2026, 11, 24, 10)
    assert targets.due_at(tokyo(2026, 11, 20, 10), "normal", d, hol) == tokyo(2026, 11, 26, 10)
    # raised on Saturday: the clock starts with Tuesday's working day, so due at the end of... Tuesday 00:00 + 1 day
    assert targets.due_at(tokyo(2026, 11, 21, 15), "soon", d, hol) == tokyo(2026, 11, 24, 0)
    assert targets.due_at(tokyo(2026, 11, 20, 10), "soon", {**d, "soon_days": 2}, set()) == tokyo(2026, 11, 24, 10)


def test_the_national_calendar_does_not_run_out():
    """Holidays come from jpholiday, so years past any hand-written list still have them."""
    days = targets.national_days_off(dt.date(2030, 1, 1), dt.date(2030, 12, 31))
    assert days[dt.date(2030, 1, 14)] == "成人の日"  # the second Monday of January
    assert dt.date(2030, 5, 6) in days  # 振替休日 for こどもの日 on a Sunday
    assert {dt.date(2030, 12, 29), dt.date(2030, 12, 31), dt.date(2030, 1, 2), dt.date(2030, 1, 3)} <= set(days)
    assert dt.date(2030, 1, 15) not in days
    hol = set(targets.national_days_off(dt.date(2035, 11, 1), dt.date(2035, 12, 31)))
    # Friday 22 November 2035, 10:00 + 1 working day: Friday 23rd is 勤労感謝の日, so Monday the 26th.
    assert targets.due_at(tokyo(2035, 11, 22, 10), "soon", targets.DEFAULTS, hol) == tokyo(2035, 11, 26, 10)


@pytest.mark.calendar
async def test_a_target_counts_working_days_from_today(db, world):
    """At every instant of the sweep (the 12/28 year-end, the 成人の日 Monday and the day after),
    a 早め concern raised now is due on the next working day of the national calendar."""
    now = dt.datetime.now(dt.UTC)
    due = await targets.compute_due(db, world.cast.city.id, "soon", now)
    start = now.astimezone(TOKYO).date()
    off = set(targets.national_days_off(start - dt.timedelta(days=7), start + dt.timedelta(days=30)))
    day = start + dt.timedelta(days=1)
    while day.weekday() >= 5 or day in off:
        day += dt.timedelta(days=1)
    assert due.astimezone(TOKYO).date() == day


async def test_a_municipality_s_own_targets_and_calendar_are_used(db, world):
    c = world.cast
    scope = await build_scope(db, c.coordinator)
    await service.save_targets(db, actor=c.coordinator, scope=scope, municipality_id=c.city.id, emergency_minutes=30,
                               soon_days=2, normal_days=5, holidays=[(dt.date(2026, 12, 1), "市の休日")],
                               open_days=[(dt.date(2026, 12, 29), "窓口を開ける日")])
    assert await targets.settings_for(db, c.city.id) == {"emergency_minutes": 30, "soon_days": 2, "normal_days": 5}
    days_off = await targets.holidays_for(db, c.city.id, tokyo(2026, 11, 30, 9))
    # The city's own day is added to the national calendar, and its open day removed from it.
    assert dt.date(2026, 12, 1) in days_off and dt.date(2026, 12, 29) not in days_off
    assert {dt.date(2026, 12, 30), dt.date(2027, 1, 1), dt.date(2027, 1, 11)} <= days_off
    due = await targets.compute_due(db, c.city.id, "soon", tokyo(2026, 11, 30, 9))  # Mon; Tue is the city's holiday
    assert due == tokyo(2026, 12, 3, 9)
    page = await queries.routing_table(db, c.city.id)
    assert page["holidays"] == "2026-12-01 市の休日" and page["open_days"] == "2026-12-29 窓口を開ける日"
    with pytest.raises(Invalid) as both:
        await service.save_targets(db, actor=c.coordinator, scope=scope, municipality_id=c.city.id, emergency_minutes=30,
                                   soon_days=2, normal_days=5, holidays=[(dt.date(2027, 5, 6), "x")],
                                   open_days=[(dt.date(2027, 5, 6), "y")])
    assert set(both.value.fields) == {"open_days"}
    with pytest.raises(Invalid) as e:
        await service.save_targets(db, actor=c.coordinator, scope=scope, municipality_id=c.city.id,
                                   emergency_minutes=0, soon_days=None, normal_days=99, holidays=[(None, "x")])
    assert set(e.value.fields) == {"emergency_minutes", "soon_days", "normal_days", "holidays"}


async def test_the_inbox_orders_by_urgency_then_age_and_marks_overdue(db, world):
    c = world.cast
    normal = await raise_(db, c.volunteer, world.household, urgency="normal")
    soon = await raise_(db, c.volunteer, world.household, urgency="soon")
    emergency = await raise_(db, c.volunteer, world.household, urgency="emergency")
    normal.due_at = normal.arrived_at - dt.timedelta(minutes=1)  # as if days had passed
    await db.flush()
    view = await queries.inbox(db, actor=c.support_centre, scope=await build_scope(db, c.support_centre))
    assert [e.concern.id for e in view["org_open"]] == [emergency.id, soon.id, normal.id]
    assert [e.overdue for e in view["org_open"]] == [False, False, True]
    other = await queries.inbox(db, actor=c.professional_other_org, scope=await build_scope(db, c.professional_other_org))
    assert other["org_open"] == []


# --- access, transfer, notes and feedback -----------------------------------------------------------

async def test_who_sees_what(db, world):
    c = world.cast
    row = await raise_(db, c.volunteer, world.household)
    await service.add_note(db, actor=c.support_centre, concern_id=row.id, text="ケース記録")
    await service.reply(db, actor=c.support_centre, concern_id=row.id, text="ありがとうございました")

    async def view(user):
        return await queries.detail(db, actor=user, scope=await build_scope(db, user), concern_id=row.id)

    pro = await view(c.support_centre)
    assert (pro.role, [t for _e, _u, t in pro.notes]) == ("org", ["ケース記録"])
    reporter = await view(c.volunteer)
    assert (reporter.role, reporter.notes, len(reporter.replies)) == ("reporter", [], 1)
    coord = await view(c.coordinator)
    assert (coord.role, coord.notes) == ("coordinator", [])
    for outsider in (c.professional_other_org, c.csw, c.commissioner_same_hood, c.coordinator_other_city,
                     c.municipal_analyst, c.volunteer_other_district):
        with pytest.raises(NotFound):
            await view(outsider)
    # the professional now sees the household the concern is about; the other organisation does not
    await require_household(db, await build_scope(db, c.support_centre), world.household.id)
    with pytest.raises(NotFound):
        await require_household(db, await build_scope(db, c.professional_other_org), world.household.id)


async def test_a_transfer_moves_the_concern_its_notes_and_access(db, world):
    c = world.cast
    row = await raise_(db, c.volunteer, world.household)
    await service.move(db, actor=c.support_centre, concern_id=row.id, action="acknowledge")
    await service.add_note(db, actor=c.support_centre, concern_id=row.id, text="前の記録")
    with pytest.raises(Invalid) as e:
        await service.move(db, actor=c.support_centre, concern_id=row.id, action="transfer",
                           to_organisation_id=c.orgs.council_a.id)
    assert set(e.value.fields) == {"reason", "to_organisation_id"}
    await service.move(db, actor=c.support_centre, concern_id=row.id, action="transfer", reason="南地区の方でした",
                       to_organisation_id=c.orgs.support_centre_b.id)
    row = await db.get(Concern, row.id)
    assert (row.state, row.organisation_id, row.routed_by, row.acknowledged_at) == \
        ("new", c.orgs.support_centre_b.id, "transfer", None)
    with pytest.raises(NotFound):
        await queries.detail(db, actor=c.support_centre, scope=await build_scope(db, c.support_centre), concern_id=row.id)
    with pytest.raises(NotFound):
        await require_household(db, await build_scope(db, c.support_centre), world.household.id)
    now_there = await queries.detail(db, actor=c.professional_other_org,
                                     scope=await build_scope(db, c.professional_other_org), concern_id=row.id)
    assert [t for _e, _u, t in now_there.notes] == ["前の記録"]


async def test_closing_with_a_message_reaches_the_reporter_s_home_until_read(db, world):
    c = world.cast
    row = await raise_(db, c.volunteer, world.household)
    for action in ("acknowledge", "start"):
        await service.move(db, actor=c.support_centre, concern_id=row.id, action=action)
    await service.move(db, actor=c.support_centre, concern_id=row.id, action="link",
                       message="包括が訪問しました。引き続き見守りをお願いします。")
    assert [r.id for r in await queries.unread_replies(db, c.volunteer)] == [row.id]
    assert await queries.unread_replies(db, c.commissioner) == []
    view = await queries.detail(db, actor=c.volunteer, scope=await build_scope(db, c.volunteer), concern_id=row.id)
    assert view.status == "done" and queries.reply_text(view.replies[0][0]).startswith("包括が訪問")
    assert await queries.unread_replies(db, c.volunteer) == []


async def test_back_to_watch_over_needs_advice_and_a_closed_concern_reopens_with_a_reason(db, world):
    c = world.cast
    row = await raise_(db, c.volunteer, world.household)
    for action in ("acknowledge", "start"):
        await service.move(db, actor=c.support_centre, concern_id=row.id, action=action)
    with pytest.raises(Invalid) as e:
        await service.move(db, actor=c.support_centre, concern_id=row.id, action="watch")
    assert set(e.value.fields) == {"message"}
    await service.move(db, actor=c.support_centre, concern_id=row.id, action="watch", message="週1回の声かけを")
    with pytest.raises(Invalid):
        await service.move(db, actor=c.support_centre, concern_id=row.id, action="reopen")
    await service.move(db, actor=c.support_centre, concern_id=row.id, action="reopen", reason="再び不在が続く")
    assert (await db.get(Concern, row.id)).state == "in_progress"


async def test_acknowledging_may_assign_a_colleague_only(db, world):
    c = world.cast
    row = await raise_(db, c.volunteer, world.household)
    with pytest.raises(Invalid) as e:
        await service.move(db, actor=c.support_centre, concern_id=row.id, action="acknowledge",
                           assignee_id=c.professional_other_org.id)
    assert set(e.value.fields) == {"assignee_id"}
    await service.move(db, actor=c.support_centre, concern_id=row.id, action="acknowledge",
                       assignee_id=c.support_centre.id)
    assert (await db.get(Concern, row.id)).assignee_id == c.support_centre.id


async def test_the_reporter_completes_a_new_concern_and_it_is_routed_again(db, world):
    c = world.cast
    row = await raise_(db, c.volunteer, world.household, target_group="other", category="other")
    assert row.organisation_id == c.orgs.hub.id
    await service.complete_concern(db, actor=c.volunteer, concern_id=row.id, target_group="children", category="family",
                                   urgency="soon", seen="詳しく")
    assert (await db.get(Concern, row.id)).organisation_id == c.orgs.child_section.id
    with pytest.raises(NotFound):
        await service.complete_concern(db, actor=c.commissioner_same_hood, concern_id=row.id, target_group="children",
                                       category="family", urgency="soon", seen="x")


# --- death and handover -----------------------------------------------------------------------------

async def test_a_death_closes_open_concerns_quietly(db, world):
    c = world.cast
    open_one = await raise_(db, c.volunteer, world.household)
    about_person = await service.raise_concern(db, actor=c.volunteer, client_id=cid(), household_id=world.household.id,
                                               person_id=world.person.id, target_group="elderly", category="health",
                                               urgency="soon", seen="x")
    closed = await raise_(db, c.volunteer, world.household)
    for action in ("acknowledge", "start"):
        await service.move(db, actor=c.support_centre, concern_id=closed.id, action=action)
    await service.move(db, actor=c.support_centre, concern_id=closed.id, action="close", reason="解決")
    scope = await build_scope(db, c.coordinator)
    await households.record_death(db, actor=c.coordinator, scope=scope, person_id=world.person.id,
                                  on=dt.date.today() - dt.timedelta(days=1))
    rows = {r.id: r for r in (await db.scalars(select(Concern))).all()}
    assert rows[open_one.id].state == "closed" and rows[about_person[0].id].state == "closed"
    assert rows[open_one.id].last_reply_at is None  # no message, no reminder
    events = (await db.scalars(select(ConcernEvent).where(ConcernEvent.action == "close_on_death"))).all()
    assert {e.concern_id for e in events} == {open_one.id, about_person[0].id}
    assert all(e.actor_id is None for e in events)
    view = await queries.inbox(db, actor=c.support_centre, scope=await build_scope(db, c.support_centre))
    assert view["org_open"] == []


async def test_a_handover_sends_replies_to_the_successor(db, world):
    from server.assignments.service import handover

    c = world.cast
    h, _ = await make_household(db, c, c.hood_a1, assign=False)
    scope = await build_scope(db, c.coordinator)
    from server.assignments import service as assignments

    await assignments.assign(db, actor=c.coordinator, scope=scope, household_id=h.id, user_id=c.commissioner.id,
                             role="commissioner")
    row = await raise_(db, c.commissioner, h)
    await handover(db, actor=c.coordinator, scope=scope, municipality_id=c.city.id, from_user_id=c.commissioner.id,
                   to_user_id=c.commissioner_same_hood.id)
    assert (await db.get(Concern, row.id)).holder_id == c.commissioner_same_hood.id
