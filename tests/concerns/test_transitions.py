"""The transition table is the only way a concern's state changes: property-based walks over it
(pure), and random walks through the service on the real database that must agree with it."""
from __future__ import annotations

import random
import uuid

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import select

from server.concerns import service, transitions
from server.concerns.models import Concern, ConcernEvent
from server.concerns.transitions import (
    ACTIONS,
    CLOSING,
    OPEN,
    STATES,
    TABLE,
    next_state,
)
from server.errors import Invalid, NotFound


@given(st.lists(st.sampled_from(ACTIONS), max_size=40))
def test_every_walk_follows_only_edges_of_the_table(actions):
    state = "new"
    for action in actions:
        if (state, action) in TABLE:
            after = next_state(state, action)
            assert after == TABLE[(state, action)] and after in STATES
            state = after
        else:
            with pytest.raises(Invalid):
                next_state(state, action)


@given(st.sampled_from(STATES), st.sampled_from(ACTIONS))
def test_an_edge_is_allowed_exactly_when_the_table_lists_it(state, action):
    try:
        assert next_state(state, action) == TABLE[(state, action)]
    except Invalid:
        assert (state, action) not in TABLE


def test_the_table_is_the_issue_s_lifecycle():
    reachable, frontier = {"new"}, ["new"]
    while frontier:
        s = frontier.pop()
        for (f, _a), t in TABLE.items():
            if f == s and t not in reachable:
                reachable.add(t)
                frontier.append(t)
    assert reachable == set(STATES)
    # closing only from 対応中 (or quietly by the system on a death / the reporter's undo while new)
    assert {f for (f, a), t in TABLE.items() if t in CLOSING and a not in transitions.SYSTEM_ACTIONS} == {"in_progress"}
    assert {t for (f, a), t in TABLE.items() if a == "transfer"} == {"new"}
    assert {f for (f, a) in TABLE if a == "transfer"} == set(OPEN)
    assert {f for (f, a) in TABLE if a == "reopen"} == set(CLOSING)
    assert transitions.actions_from("new") == ["acknowledge", "transfer"]
    assert "close_on_death" not in transitions.actions_from("in_progress")


@hsettings(deadline=None, max_examples=25)
@given(st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=12), st.integers(0, 2**31))
def test_reporter_status_never_shows_inner_states(actions, _seed):
    state = "new"
    for a in actions:
        if (state, a) in TABLE:
            state = TABLE[(state, a)]
        assert transitions.reporter_status(state) in ("sent", "acknowledged", "in_progress", "done")


@pytest.mark.parametrize("seed", range(6))
async def test_random_walks_through_the_service_follow_the_table(db, world, seed):
    """The service refuses every edge the table lacks, and the stored events replay the table."""
    cast = world.cast
    rng = random.Random(seed)
    concern, _ = await service.raise_concern(db, actor=cast.volunteer, client_id=uuid.uuid4().hex,
                                             household_id=world.household.id, target_group="elderly",
                                             category="health", urgency="soon", seen="見かけない")
    pro = cast.support_centre
    other = cast.orgs.support_centre_b.id
    for _ in range(15):
        action = rng.choice([a for a in ACTIONS if a not in transitions.SYSTEM_ACTIONS])
        row = await db.get(Concern, concern.id)
        before = row.state
        kw = {"reason": "理由", "message": "助言"}
        if action == "transfer":
            kw["to_organisation_id"] = other if row.organisation_id != other else cast.orgs.support_centre_a.id
        who = pro if row.organisation_id == cast.orgs.support_centre_a.id else cast.professional_other_org
        try:
            await service.move(db, actor=who, concern_id=concern.id, action=action, **kw)
        except Invalid:
            assert (before, action) not in TABLE
            continue
        assert (before, action) in TABLE
        assert (await db.get(Concern, concern.id)).state == TABLE[(before, action)]
    events = (await db.scalars(select(ConcernEvent).where(ConcernEvent.concern_id == concern.id, ConcernEvent.kind == "move")
                               .order_by(ConcernEvent.id))).all()
    state = "new"
    for e in events[1:]:
        assert e.from_state == state and TABLE[(e.from_state, e.action)] == e.to_state
        state = e.to_state
    assert (await db.get(Concern, concern.id)).state == state


async def test_two_professionals_acknowledging_at_once_one_wins(db, world, sessionmaker):
    cast = world.cast
    concern, _ = await service.raise_concern(db, actor=cast.volunteer, client_id=uuid.uuid4().hex,
                                             household_id=world.household.id, target_group="elderly",
                                             category="health", urgency="soon", seen="x")
    await db.commit()
    await service.move(db, actor=cast.support_centre, concern_id=concern.id, action="acknowledge")
    await db.commit()
    with pytest.raises(Invalid):  # the second sees it already acknowledged
        await service.move(db, actor=cast.support_centre, concern_id=concern.id, action="acknowledge")


async def test_only_the_receiving_organisation_moves_a_concern(db, world):
    cast = world.cast
    concern, _ = await service.raise_concern(db, actor=cast.volunteer, client_id=uuid.uuid4().hex,
                                             household_id=world.household.id, target_group="elderly",
                                             category="health", urgency="soon", seen="x")
    for outsider in (cast.professional_other_org, cast.csw, cast.coordinator, cast.volunteer):
        with pytest.raises(NotFound):
            await service.move(db, actor=outsider, concern_id=concern.id, action="acknowledge")
    with pytest.raises(NotFound):  # a system step is never taken from a page
        await service.move(db, actor=cast.support_centre, concern_id=concern.id, action="close_on_death")
    assert (await db.get(Concern, concern.id)).state == "new"
