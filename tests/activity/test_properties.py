"""Property tests: for random logged activity, the two breakdowns of 相談・支援 always sum to the
same total, adjustments made through the form keep them equal, and every level's total is the
key-by-key sum of the level below (pure counting, then on the real database)."""
from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from server.activity import compile as c
from server.activity import service
from server.areas.service import create_organisation
from server.contacts.models import (
    CONTENTS,
    FIELDS,
    LIAISON_WITH,
    OTHER_ACTIVITIES,
    Activity,
    ActivityItem,
    Contact,
)
from server.households import service as households
from server.i18n import TOKYO
from server.scope import build_scope
from server.users.service import add_active_user
from tests.activity.builders import appointed_long_ago, last_month

FAST = hsettings(max_examples=200, deadline=None, derandomize=True, database=None)

instants = st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2026, 12, 31)).map(
    lambda d: d.replace(tzinfo=TOKYO))
contact_rows = st.builds(
    c.ContactRow, instants, st.booleans(),
    st.lists(st.tuples(st.sampled_from(FIELDS), st.sampled_from(CONTENTS)), max_size=4).map(tuple),
    st.lists(st.sampled_from(LIAISON_WITH), max_size=3).map(tuple))
activity_rows = st.builds(c.ActivityRow, st.sampled_from((*OTHER_ACTIVITIES, "day")),
                          st.dates(dt.date(2026, 1, 1), dt.date(2026, 12, 31)))
form_adjustments = st.one_of(
    st.builds(c.AdjustmentRow, st.sampled_from(c.FIELD_KEYS), st.integers(-5, 5),
              st.sampled_from(c.CONTENT_KEYS)),
    st.builds(c.AdjustmentRow, st.sampled_from([k for k in c.KEYS if k not in c.FIELD_KEYS + c.CONTENT_KEYS]),
              st.integers(-5, 5)))


@FAST
@given(st.lists(contact_rows, max_size=40), st.lists(activity_rows, max_size=20), st.lists(form_adjustments, max_size=6))
def test_both_breakdowns_of_consultations_always_sum_to_the_same_total(contacts, activities, adjustments):
    f = c.compile_month(contacts, activities, adjustments)
    assert c.consult_total(f) == c.content_total(f)
    assert c.consult_total(f) == sum(len(x.consults) for x in contacts) + sum(
        a.delta for a in adjustments if a.item in c.FIELD_KEYS)
    assert f["visits"] == sum(x.counts_as_visit for x in contacts) + sum(
        a.delta for a in adjustments if a.item == "visits")


@FAST
@given(st.lists(contact_rows, max_size=30), st.lists(activity_rows, max_size=15))
def test_days_active_are_the_distinct_tokyo_dates(contacts, activities):
    f = c.compile_month(contacts, activities)
    assert f["days"] == len({x.occurred_at.astimezone(TOKYO).date() for x in contacts} | {a.occurred_on for a in activities})


@FAST
@given(st.lists(st.lists(st.lists(contact_rows, max_size=8), max_size=4), min_size=1, max_size=4))
def test_every_level_total_is_the_sum_of_the_level_below(tree):
    """tree: municipalities > councils > commissioners' contacts."""
    councils = [[c.compile_month(rows, ()) for rows in council] for council in tree]
    council_totals = [c.add(*members) for members in councils]
    municipality_total = c.add(*council_totals)
    everyone = c.add(*[f for members in councils for f in members])
    assert municipality_total == everyone
    assert c.consult_total(municipality_total) == c.content_total(municipality_total)


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_on_the_database_each_level_is_the_sum_of_the_level_below(db, cast, seed):
    """Random contacts, items and activities for commissioners in two councils of the city, one
    without a council, and one in the town next door; inserted in bulk, then read level by level."""
    rng = random.Random(seed)
    y, m = last_month()
    coord = cast.coordinator
    council_b = await create_organisation(db, actor=None, municipality_id=cast.city.id, kind="council",
                                          name="南地区民児協", area_ids=[cast.district_b.id], phone="000-200-0008")
    extra = [await add_active_user(db, actor=None, display_name=f"委員{i}", role="commissioner",
                                   municipality_id=cast.city.id, area_ids=[cast.hood_b1.id],
                                   organisation_id=council_b.id) for i in range(2)]
    from sqlalchemy import select

    from server.areas.models import Area
    from server.areas.service import create_area

    district = (await db.scalars(select(Area).where(Area.parent_id == cast.other_city.id))).first()
    hood = await create_area(db, actor=None, parent_id=district.id, level="neighbourhood", name="となり一丁目")
    neighbour = await add_active_user(db, actor=None, display_name="隣町 委員", role="commissioner",
                                      municipality_id=cast.other_city.id, area_ids=[hood.id])
    await appointed_long_ago(db)
    people = [cast.commissioner, cast.chief_child, cast.council_chair, cast.commissioner_same_hood, *extra, neighbour]
    h = await households.create_household(db, actor=coord, scope=await build_scope(db, coord),
                                          data=households.HouseholdInput(area_id=cast.hood_a1.id, address="乱数町1",
                                                                         types=["elderly_alone"], needs=[]))
    last_day = (dt.date(y + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1)).day
    n = 0
    for person in people:
        for _ in range(rng.randint(0, 25)):
            n += 1
            when = dt.datetime(y, m, rng.randint(1, last_day), rng.randint(0, 23), tzinfo=TOKYO)
            contact = Contact(municipality_id=person.municipality_id, household_id=h.id, author_id=person.id,
                              owner_id=person.id, owner_role="commissioner", client_id=f"r{seed}-{n}",
                              method="visit", outcome="no_change", occurred_at=when,
                              counts_as_visit=rng.random() < 0.7,
                              withdrawn_at=when if rng.random() < 0.05 else None)
            db.add(contact)
            await db.flush()
            for _ in range(rng.choice([0, 0, 0, 1, 2])):
                db.add(ActivityItem(contact_id=contact.id, kind="consult", field=rng.choice(FIELDS),
                                    content=rng.choice(CONTENTS)))
            if rng.random() < 0.2:
                db.add(ActivityItem(contact_id=contact.id, kind="liaison", liaison_with=rng.choice(LIAISON_WITH)))
        for _ in range(rng.randint(0, 6)):
            n += 1
            db.add(Activity(municipality_id=person.municipality_id, author_id=person.id, owner_id=person.id,
                            client_id=f"a{seed}-{n}", kind=rng.choice((*OTHER_ACTIVITIES, "day")),
                            occurred_on=dt.date(y, m, rng.randint(1, last_day))))
    await db.commit()
    # One of them submits (a snapshot), so levels mix snapshots and live figures.
    await service.submit_month(db, actor=cast.commissioner, scope=await build_scope(db, cast.commissioner), year=y,
                               month=m)
    await db.commit()

    async def table(user, level):
        return await service.table_for(db, scope=await build_scope(db, user), level=level, unit_id=None,
                                       months=[(y, m)], no_council_label="所属なし")

    council = await table(cast.council_chair, "council")
    city = await table(cast.municipal_analyst, "municipality")
    pref = await table(cast.prefecture_analyst, "prefecture")
    assert council.total == c.add(*[col.figures for col in council.columns])
    assert next(col for col in city.columns if col.unit_id == cast.orgs.council_a.id).figures == council.total
    assert city.total == c.add(*[col.figures for col in city.columns])
    assert next(col for col in pref.columns if col.unit_id == cast.city.id).figures == city.total
    assert pref.total == c.add(*[col.figures for col in pref.columns])
    for t in (council, city, pref):
        assert c.consult_total(t.total) == c.content_total(t.total)
    # The prefecture counts every commissioner exactly once.
    assert sum(col.expected for col in pref.columns) == len(people)


examples_of_input = st.dictionaries(st.sampled_from(["month", "item", "content", "delta", "reason", "c", "commissioner",
                                                      "u", *c.KEYS]),
                                    st.one_of(st.text(max_size=12), st.integers(-10**6, 10**6).map(str)), max_size=8)


@pytest.mark.parametrize("path,who", [("/activity-record/adjustments", "commissioner"),
                                      ("/activity-record/submit", "commissioner"),
                                      ("/council-record/proxy", "council_chair"),
                                      ("/council-record/reopen", "council_chair"),
                                      ("/council-record/remind", "council_chair"),
                                      ("/municipal-record/compile", "municipal_analyst")])
async def test_random_input_at_every_activity_form_never_answers_500(client, db, cast, sessionmaker, settings, path, who):
    from tests.helpers import post_form, sign_in

    found: list = []

    @hsettings(max_examples=15, database=None, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
    @given(examples_of_input)
    def collect(value) -> None:
        found.append(value)

    collect()
    await sign_in(client, sessionmaker, settings, cast.users[who])
    for data in found:
        r = await post_form(client, path, data)
        assert r.status_code < 500, (path, data, r.text[:500])
