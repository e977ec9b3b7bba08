"""Households, people, consent, status, scope: the service functions and the scope gate."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text

from server.concerns.models import Concern
from server.contacts.models import Revisit
from server.errors import Invalid, NotFound
from server.households import queries, service
from server.households.models import Household, Person
from server.scope import build_scope, require_household, visible_households
from server.text import normalise
from tests.watchover.builders import household, log


def test_kana_is_normalised_across_widths_and_scripts():
    assert normalise("ﾔﾏﾀﾞ ﾀﾛｳ") == normalise("ヤマダ タロウ") == normalise("やまだ　たろう") == "やまだたろう"
    assert normalise("ＡＢＣ１２３") == "abc123"


async def test_sensitive_fields_are_sealed_in_the_database(db, town):
    h = await household(db, town)
    person = (await db.scalars(select(Person).where(Person.household_id == h.id))).one()
    scope = await build_scope(db, town.coord)
    data = service.PersonInput(name=person.name, kana=person.kana, birth_year=1940, health="糖尿病で通院中")
    with pytest.raises(Invalid) as refused:
        await service.update_person(db, actor=town.coord, scope=scope, person_id=person.id, data=data, sensitive=True)
    assert "health" in refused.value.fields
    await service.record_consent(db, actor=town.coord, scope=scope, person_id=person.id, purpose="sensitive",
                                 given=True, given_on=dt.date(2026, 4, 1), given_by="self", method="paper")
    await service.update_person(db, actor=town.coord, scope=scope, person_id=person.id, data=data, sensitive=True)
    await db.commit()
    raw = (await db.execute(text("SELECT health_sealed FROM persons WHERE id = :i"), {"i": person.id})).scalar_one()
    assert "糖尿病".encode() not in raw
    assert service.sensitive_of(person)["health"] == "糖尿病で通院中"
    # Withdrawal takes effect at once: the sealed fields are gone.
    await service.withdraw_consent(db, actor=town.coord, scope=scope, person_id=person.id, purpose="sensitive")
    await db.commit()
    raw = (await db.execute(text("SELECT health_sealed FROM persons WHERE id = :i"), {"i": person.id})).scalar_one()
    assert raw is None


async def test_presumed_consent_puts_a_household_on_the_round_and_a_refusal_takes_it_off(db, town):
    h = await household(db, town)
    assert h.watch_ok
    person = (await db.scalars(select(Person).where(Person.household_id == h.id))).one()
    scope = await build_scope(db, town.coord)
    await service.record_consent(db, actor=town.coord, scope=scope, person_id=person.id, purpose="watch",
                                 given=False, given_on=dt.date(2026, 4, 1), given_by="family", method="verbal")
    await db.commit()
    await db.refresh(h)
    assert not h.watch_ok


async def test_explicit_model_needs_a_recorded_consent_and_withdrawal_is_immediate(db, town):
    scope = await build_scope(db, town.coord)
    rules = await service.watch_settings(db, town.municipality.id)
    await service.update_watch_settings(
        db, actor=town.coord, scope=scope, municipality_id=town.municipality.id, consent_watch="explicit",
        consent_share="explicit", consent_evacuation="opt_out", visit_methods=rules.visit_methods,
        absent_counts=True, salon_counts_for_cadence=True, term_end_month=11, term_end_day=30)
    await db.commit()
    h = await household(db, town, people=(("佐藤 一郎", "サトウ イチロウ", 1938), ("佐藤 花", "サトウ ハナ", 1942)))
    assert not h.watch_ok
    first, second = (await db.scalars(select(Person).where(Person.household_id == h.id).order_by(Person.id))).all()
    await service.record_consent(db, actor=town.coord, scope=scope, person_id=second.id, purpose="watch",
                                 given=True, given_on=dt.date(2026, 4, 1), given_by="self", method="paper")
    await db.commit()
    await db.refresh(h)
    assert h.watch_ok and second.watch_ok and not first.watch_ok
    await service.withdraw_consent(db, actor=town.coord, scope=scope, person_id=second.id, purpose="watch")
    await db.commit()
    await db.refresh(h)
    assert not h.watch_ok


async def test_a_consent_in_the_future_is_refused(db, town):
    h = await household(db, town)
    person = (await db.scalars(select(Person).where(Person.household_id == h.id))).one()
    scope = await build_scope(db, town.coord)
    with pytest.raises(Invalid) as caught:
        await service.record_consent(db, actor=town.coord, scope=scope, person_id=person.id, purpose="watch",
                                     given=True, given_on=dt.date.today() + dt.timedelta(days=3), given_by="self",
                                     method="paper")
    assert "given_on" in caught.value.fields


async def test_scope_assignees_see_their_households_and_nobody_else_does(db, town):
    h = await household(db, town)
    seen = {}
    for name in town.users:
        scope = await build_scope(db, town.users[name])
        ids = set((await db.scalars(await visible_households(db, scope))).all())
        seen[name] = h.id in ids
    assert seen == {"coord": True, "comm": True, "comm2": False, "chief": False, "vol": True, "vol_same": False,
                    "vol_west": False, "pro": False, "analyst": False, "coord2": False}
    with pytest.raises(NotFound):
        await require_household(db, await build_scope(db, town.vol_same), h.id)


async def test_chief_child_commissioner_sees_households_with_a_child_in_their_council_area(db, town):
    year = dt.date.today().year
    child = await household(db, town, area=town.n2, people=(("子", "コ", year - 8), ("親", "オヤ", year - 35)),
                            commissioner=None, volunteers=())
    adults = await household(db, town, area=town.n2, people=(("大人", "オトナ", year - 40),),
                             commissioner=None, volunteers=())
    west_child = await household(db, town, area=town.n3, people=(("子", "コ", year - 5),), commissioner=None,
                                 volunteers=())
    scope = await build_scope(db, town.chief)
    ids = set((await db.scalars(await visible_households(db, scope))).all())
    assert child.id in ids and adults.id not in ids and west_child.id not in ids


async def test_a_death_ends_the_household_and_closes_revisits_and_concerns_quietly(db, town):
    h = await household(db, town)
    await log(db, town, "comm", h, method="visit_absent", revisit_on=dt.date.today() + dt.timedelta(days=2))
    await log(db, town, "comm", h, method="visit_absent", outcome="watch", flag_concern=True,
              revisit_on=dt.date.today() + dt.timedelta(days=2))
    person = (await db.scalars(select(Person).where(Person.household_id == h.id))).one()
    scope = await build_scope(db, town.coord)
    await service.record_death(db, actor=town.coord, scope=scope, person_id=person.id, on=dt.date.today())
    await db.commit()
    await db.refresh(h)
    assert h.status == "ended" and h.status_reason == "died" and not h.watch_ok
    assert (await db.scalars(select(Revisit).where(Revisit.closed_at.is_(None)))).all() == []
    assert [c.state for c in (await db.scalars(select(Concern))).all()] == ["closed"]


async def test_pause_needs_a_reason_and_takes_the_household_off_the_round(db, town):
    from server.contacts.queries import round_for

    h = await household(db, town)
    scope = await build_scope(db, town.coord)
    with pytest.raises(Invalid):
        await service.change_status(db, actor=town.coord, scope=scope, household_id=h.id, status="paused",
                                    reason="moved", since=dt.date.today())
    await service.change_status(db, actor=town.coord, scope=scope, household_id=h.id, status="paused",
                                reason="hospital", since=dt.date.today(),
                                expected_return=dt.date.today() + dt.timedelta(days=30))
    await db.commit()
    assert await round_for(db, await build_scope(db, town.comm)) == []


async def test_merge_moves_consent_and_hides_the_duplicate(db, town):
    h = await household(db, town, people=(("山田 花子", "ヤマダ ハナコ", 1940), ("山田 花子", "", None)))
    a, b = (await db.scalars(select(Person).where(Person.household_id == h.id).order_by(Person.id))).all()
    scope = await build_scope(db, town.coord)
    await service.record_consent(db, actor=town.coord, scope=scope, person_id=b.id, purpose="share", given=True,
                                 given_on=dt.date(2026, 4, 1), given_by="self", method="paper")
    await service.merge_persons(db, actor=town.coord, scope=scope, keep_id=a.id, merge_id=b.id)
    await db.commit()
    assert b.merged_into_id == a.id
    assert await service.has_consent(db, a, "share")
    people = await queries.members(db, [h.id])
    assert [p.id for p in people[h.id]] == [a.id]


async def test_search_by_kana_matches_half_width_and_hiragana_within_scope_only(db, town):
    h = await household(db, town)
    other = await household(db, town, area=town.n3, commissioner="comm2", volunteers=("vol_west",),
                            people=(("山田 太郎", "ヤマダ タロウ", 1950),))
    scope = await build_scope(db, town.comm)
    for q in ("やまだ", "ﾔﾏﾀﾞ", "山田", "港町"):
        hits = await queries.search(db, scope, q)
        assert [x.household.id for x in hits] == [h.id], q
    coord_hits = await queries.search(db, await build_scope(db, town.coord), "ヤマダ")
    assert {x.household.id for x in coord_hits} == {h.id, other.id}
    assert await queries.search(db, await build_scope(db, town.coord2), "やまだ") == []


async def test_only_the_coordinator_edits_households(db, town):
    h = await household(db, town)
    for name in ("comm", "vol", "coord2"):
        with pytest.raises(NotFound):
            await service.update_household(db, actor=town.users[name], scope=await build_scope(db, town.users[name]),
                                           household_id=h.id, data=service.HouseholdInput(
                                               area_id=town.n1.id, address="x", types=[], needs=[]))
    assert (await db.get(Household, h.id)).address == "港町1-2-3"
