"""Attendance, the サロン等で会った contact, 気になったこと → concern, and absence follow-up onto the
round of the person who covers the household."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from server import clock
from server.concerns.models import Concern
from server.contacts.models import Contact
from server.contacts.queries import round_page
from server.errors import Invalid, NotFound
from server.households.models import Person, WatchSettings
from server.salons import attendance, followup, service
from server.salons.models import Followup
from server.scope import build_scope
from tests.salons.builders import (
    cid,
    future_session,
    make_salon,
    mark,
    on_roster,
    past_session,
)
from tests.watchover.builders import household


async def regular(db, town, salon, **kw):
    """A resident on the salon's roster, watched over by comm and vol."""
    h = await household(db, town, **kw)
    person = (await db.scalars(select(Person).where(Person.household_id == h.id))).first()
    await on_roster(db, town, salon, person.id)
    return h, person


async def signs_on_round(db, user) -> dict[int, list]:
    entries, _ = await round_page(db, await build_scope(db, user))
    await db.commit()
    return {e.household.id: e for e in entries}


@pytest.mark.calendar
async def test_two_absences_in_a_row_put_the_sign_on_the_covering_volunteers_round(db, town):
    salon = await make_salon(db, town)
    h, person = await regular(db, town, salon)
    first, second = await past_session(db, town, salon, 14), await past_session(db, town, salon, 7)
    await mark(db, town, first, person.id, "absent")
    assert await db.scalar(select(func.count()).select_from(Followup)) == 0
    assert not (await signs_on_round(db, town.vol))[h.id].signs
    await mark(db, town, second, person.id, "absent")
    fu = (await db.scalars(select(Followup))).one()
    assert fu.person_id == person.id and fu.absences == 2 and fu.household_id == h.id
    card = (await signs_on_round(db, town.vol))[h.id]
    assert [s.followup.id for s in card.signs] == [fu.id]
    assert (await signs_on_round(db, town.comm))[h.id].signs  # the commissioner covers them too
    # The organiser's list has them.
    rows = await followup.open_followups(db, salon.id)
    assert [p.id for _, p in rows] == [person.id]


async def test_excused_absences_and_cancelled_sessions_do_not_count(db, town):
    salon = await make_salon(db, town)
    _h, person = await regular(db, town, salon)
    a, b, c = (
        await past_session(db, town, salon, 21), await past_session(db, town, salon, 14),
        await past_session(db, town, salon, 7))
    await mark(db, town, a, person.id, "absent")
    await mark(db, town, b, person.id, "excused")
    assert await db.scalar(select(func.count()).select_from(Followup)) == 0
    with pytest.raises(Invalid):  # a cancelled session takes no attendance
        scope = await build_scope(db, town.coord)
        await service.cancel_session(db, actor=town.coord, scope=scope, session_id=c.id)
        await db.commit()
        await mark(db, town, c, person.id, "absent")
    assert await db.scalar(select(func.count()).select_from(Followup)) == 0


async def test_coming_back_breaks_the_run_and_closes_an_open_follow_up(db, town):
    salon = await make_salon(db, town)
    h, person = await regular(db, town, salon)
    s1, s2, s3 = (await past_session(db, town, salon, 21), await past_session(db, town, salon, 14),
                  await past_session(db, town, salon, 7))
    await mark(db, town, s1, person.id, "absent")
    await mark(db, town, s2, person.id, "present")
    await mark(db, town, s3, person.id, "absent")
    assert await db.scalar(select(func.count()).select_from(Followup)) == 0
    # Correcting s2 to absent makes the run 3 long (s1, s2, s3 are all absences now).
    await mark(db, town, s2, person.id, "absent")
    fu = (await db.scalars(select(Followup))).one()
    await mark(db, town, s3, person.id, "present")
    await db.refresh(fu)
    assert fu.closed_at is not None and fu.outcome == "came_back"
    assert not (await signs_on_round(db, town.vol))[h.id].signs


@pytest.mark.calendar
async def test_one_tap_makes_a_visit_due_and_the_outcome_clears_the_sign(db, town):
    salon = await make_salon(db, town)
    h, person = await regular(db, town, salon)
    from tests.watchover.builders import log

    await log(db, town, "vol", h)  # just visited: not due for a week
    assert (await signs_on_round(db, town.vol))[h.id].overdue_days < 0
    for days in (14, 7):
        await mark(db, town, await past_session(db, town, salon, days), person.id, "absent")
    fu = (await db.scalars(select(Followup))).one()
    await followup.make_visit_due(db, actor=town.vol, scope=await build_scope(db, town.vol), followup_id=fu.id)
    await db.commit()
    card = (await signs_on_round(db, town.vol))[h.id]
    assert card.overdue_days == 0 and card.signs[0].due_on == clock.today_tokyo()
    await followup.record_outcome(db, actor=town.vol, scope=await build_scope(db, town.vol), followup_id=fu.id,
                                  outcome="visited_well")
    await db.commit()
    assert not (await signs_on_round(db, town.vol))[h.id].signs
    # A third absence after the outcome does not reopen it: counting starts again.
    await mark(db, town, await past_session(db, town, salon, 1), person.id, "absent")
    assert await db.scalar(select(func.count()).select_from(Followup).where(Followup.closed_at.is_(None))) == 0


async def test_the_follow_up_is_out_of_reach_of_someone_unrelated(db, town):
    salon = await make_salon(db, town)
    _h, person = await regular(db, town, salon)
    for days in (14, 7):
        await mark(db, town, await past_session(db, town, salon, days), person.id, "absent")
    fu = (await db.scalars(select(Followup))).one()
    for who in ("vol_west", "comm2", "coord2"):
        with pytest.raises(NotFound):
            await followup.make_visit_due(db, actor=town.users[who], scope=await build_scope(db, town.users[who]),
                                          followup_id=fu.id)
    with pytest.raises(Invalid):
        await followup.record_outcome(db, actor=town.vol_same, scope=await build_scope(db, town.vol_same),
                                      followup_id=fu.id, outcome="nonsense")


async def test_no_sign_on_the_round_without_watch_over_consent(db, town):
    salon = await make_salon(db, town)
    h, person = await regular(db, town, salon,
                              people=(("山田 花子", "ヤマダ ハナコ", 1940), ("山田 太郎", "ヤマダ タロウ", 1938)))
    from server.households import service as households

    await households.record_consent(db, actor=town.coord, scope=await build_scope(db, town.coord), person_id=person.id,
                                    purpose="watch", given=False, given_on=dt.date(2026, 4, 1), given_by="self",
                                    method="paper")
    await db.commit()
    for days in (14, 7):
        await mark(db, town, await past_session(db, town, salon, days), person.id, "absent")
    assert (await db.scalars(select(Followup))).one()  # the organiser still follows up
    assert not (await signs_on_round(db, town.vol))[h.id].signs  # but the round shows nothing about them


@pytest.mark.calendar
async def test_attendance_records_a_salon_contact_where_the_municipality_counts_it(db, town):
    salon = await make_salon(db, town)
    h, person = await regular(db, town, salon)
    sess = await past_session(db, town, salon, 1)
    row = await mark(db, town, sess, person.id, "present")
    contact = await db.get(Contact, row.contact_id)
    assert contact.method == "salon" and contact.household_id == h.id and contact.met_person_ids == [person.id]
    assert contact.counts_for_cadence and not contact.counts_as_visit
    await db.refresh(h)
    assert h.last_contact_at == contact.occurred_at
    # The same tap again stores nothing more; changing it to absent withdraws the contact.
    await mark(db, town, sess, person.id, "present")
    assert await db.scalar(select(func.count()).select_from(Contact)) == 1
    await mark(db, town, sess, person.id, "absent")
    await db.refresh(contact)
    await db.refresh(h)
    assert contact.withdrawn_at is not None and h.last_contact_at is None


async def test_no_contact_where_the_municipality_does_not_count_salons(db, town):
    db.add(WatchSettings(municipality_id=town.municipality.id, salon_counts_for_cadence=False))
    await db.commit()
    salon = await make_salon(db, town)
    _h, person = await regular(db, town, salon)
    row = await mark(db, town, await past_session(db, town, salon, 1), person.id, "present")
    assert row.contact_id is None
    assert await db.scalar(select(func.count()).select_from(Contact)) == 0


async def test_something_noticed_becomes_a_routed_concern_with_one_more_tap(db, town):
    salon = await make_salon(db, town)
    h, person = await regular(db, town, salon)
    sess = await past_session(db, town, salon, 1)
    row = await mark(db, town, sess, person.id, "present", noticed="足を引きずっていた")
    assert attendance.noticed_of(row) == "足を引きずっていた" and b"\xe8\xb6\xb3" not in (row.noticed_sealed or b"")
    scope = await build_scope(db, town.vol_same)
    contact = await attendance.raise_concern(db, actor=town.vol_same, scope=scope, attendance_id=row.id)
    again = await attendance.raise_concern(db, actor=town.vol_same, scope=scope, attendance_id=row.id)
    await db.commit()
    concern = (await db.scalars(select(Concern))).one()
    assert again.id == contact.id and concern.household_id == h.id and concern.contact_id == contact.id
    # Routed at once (the concerns issue): it waits, new, in one organisation's inbox.
    assert concern.urgency == "normal" and concern.state == "new" and concern.organisation_id is not None


async def test_walk_ins_are_added_once_and_only_by_who_runs_the_salon(db, town):
    salon = await make_salon(db, town)
    sess = await past_session(db, town, salon, 0)
    key = cid()
    scope = await build_scope(db, town.vol_same)
    a = await attendance.add_walk_in(db, actor=town.vol_same, scope=scope, session_id=sess.id, name="飛込 一郎",
                                     phone="000-1111-2222", client_id=key)
    b = await attendance.add_walk_in(db, actor=town.vol_same, scope=scope, session_id=sess.id, name="飛込 一郎",
                                     phone="000-1111-2222", client_id=key)
    await db.commit()
    assert a.id == b.id and a.walk_in and a.status == "present"
    guest = await db.get(Person, a.person_id)
    assert guest.household_id is None
    with pytest.raises(NotFound):
        await attendance.add_walk_in(db, actor=town.vol, scope=await build_scope(db, town.vol), session_id=sess.id,
                                     name="x", client_id=cid())


@pytest.mark.calendar
async def test_attendance_is_taken_on_the_day_not_before(db, town):
    salon = await make_salon(db, town)
    _h, person = await regular(db, town, salon)
    sess = await future_session(db, town, salon, 3)
    with pytest.raises(Invalid):
        await mark(db, town, sess, person.id, "present")


async def test_people_who_do_not_come_count_for_the_organiser_names_for_their_commissioner(db, town):
    salon = await make_salon(db, town)
    on, _ = await regular(db, town, salon, address="港町1-1")
    off = await household(db, town, address="港町9-9")  # elderly_alone, on no roster
    assert await followup.not_coming_count(db, salon) == 1
    mine = await followup.not_coming_mine(db, actor=town.comm, scope=await build_scope(db, town.comm))
    assert [h.id for h, _ in mine] == [off.id]
    assert await followup.not_coming_mine(db, actor=town.comm2, scope=await build_scope(db, town.comm2)) == []
    assert on.id not in [h.id for h, _ in mine]
