"""Sign-ups: capacity, the waitlist promoted in order, resends stored once, and the last place
never taken twice under concurrent sign-ups (SQLite and PostgreSQL)."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from server.errors import Invalid, NotFound
from server.salons import signups
from server.salons.models import Signup
from server.scope import build_scope
from tests.salons.builders import cid, future_session, make_salon, sign
from tests.watchover.builders import household


async def residents(db, town, n: int) -> list[int]:
    from server.households.models import Person

    for i in range(n):
        await household(db, town, people=((f"住民 {i}", f"ジュウミン {i}", 1940),), address=f"港町{i}-1")
    ids = list((await db.scalars(select(Person.id).order_by(Person.id))).all())[-n:]
    await db.commit()  # release SQLite's write lock (every transaction is BEGIN IMMEDIATE)
    return ids


async def test_places_fill_then_the_waitlist_in_arrival_order(db, town):
    salon = await make_salon(db, town)
    sess = await future_session(db, town, salon, capacity=2)
    people = await residents(db, town, 4)
    rows = [(await sign(db, town, sess, p))[0] for p in people]
    assert [r.status for r in rows] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert [r.position for r in rows] == [1, 2, 3, 4]


async def test_a_cancellation_promotes_the_first_waitlisted(db, town):
    salon = await make_salon(db, town)
    sess = await future_session(db, town, salon, capacity=1)
    a, b, c = await residents(db, town, 3)
    first, _ = await sign(db, town, sess, a)
    second, _ = await sign(db, town, sess, b)
    third, _ = await sign(db, town, sess, c)
    cancelled, promoted = await signups.cancel_signup(db, actor=town.coord, scope=await build_scope(db, town.coord),
                                                      signup_id=first.id)
    await db.commit()
    assert cancelled.status == "cancelled" and promoted.id == second.id and promoted.status == "confirmed"
    await db.refresh(third)
    assert third.status == "waitlisted"
    # Cancelling a waitlisted sign-up promotes nobody.
    _, nobody = await signups.cancel_signup(db, actor=town.coord, scope=await build_scope(db, town.coord),
                                            signup_id=third.id)
    assert nobody is None


async def test_a_resend_with_the_same_client_id_is_stored_once(db, town):
    salon = await make_salon(db, town)
    sess = await future_session(db, town, salon)
    (p,) = await residents(db, town, 1)
    key = cid()
    one, created = await sign(db, town, sess, p, client_id=key)
    again, created_again = await sign(db, town, sess, p, client_id=key)
    assert created and not created_again and one.id == again.id
    # The same person twice under a new client id keeps the first live sign-up.
    twice, created_twice = await sign(db, town, sess, p)
    assert twice.id == one.id and not created_twice
    assert await db.scalar(select(func.count()).select_from(Signup)) == 1


async def test_who_may_sign_up_whom(db, town):
    salon = await make_salon(db, town)
    sess = await future_session(db, town, salon)
    (p,) = await residents(db, town, 1)  # assigned to comm and vol, not to vol_same (the organiser)
    with pytest.raises(NotFound):  # the organiser cannot see a resident who is not on the roster
        await sign(db, town, sess, p, who="vol_same")
    with pytest.raises(NotFound):  # another municipality's coordinator
        await sign(db, town, sess, p, who="coord2")
    row, _ = await sign(db, town, sess, p, who="vol")  # the volunteer who watches over them
    assert row.signed_up_by == town.vol.id
    with pytest.raises(Invalid):
        await signups.sign_up(db, actor=town.vol, scope=await build_scope(db, town.vol), session_id=sess.id,
                              person_id=p, client_id="bad id!")


async def test_a_cancelled_session_takes_no_sign_ups(db, town):
    from server.salons import service

    salon = await make_salon(db, town)
    sess = await future_session(db, town, salon)
    (p,) = await residents(db, town, 1)
    await service.cancel_session(db, actor=town.coord, scope=await build_scope(db, town.coord), session_id=sess.id)
    await db.commit()
    with pytest.raises(Invalid):
        await sign(db, town, sess, p)


async def test_racing_for_the_last_place_never_overbooks(db, town, sessionmaker):
    """Eight coordinators' requests race for one remaining place: one is confirmed, seven wait."""
    salon = await make_salon(db, town)
    sess = await future_session(db, town, salon, capacity=3)
    people = await residents(db, town, 10)
    for p in people[:2]:
        await sign(db, town, sess, p)
    racers = people[2:]

    async def attempt(person_id: int) -> str:
        for _ in range(20):
            async with sessionmaker() as s:
                try:
                    scope = await build_scope(s, town.coord)
                    row, _ = await signups.sign_up(s, actor=town.coord, scope=scope, session_id=sess.id,
                                                   person_id=person_id, client_id=cid())
                    await s.commit()
                    return row.status
                except Exception as exc:  # a serialisation failure is retried, as a phone would resend
                    await s.rollback()
                    if "locked" not in str(exc).lower() and "serializ" not in str(exc).lower():
                        raise
                    await asyncio.sleep(0.05)
        raise AssertionError("never got through")

    statuses = await asyncio.gather(*(attempt(p) for p in racers))
    assert sorted(statuses) == ["confirmed"] + ["waitlisted"] * 7
    await db.commit()
    confirmed = await db.scalar(select(func.count()).select_from(Signup).where(
        Signup.session_id == sess.id, Signup.status == "confirmed"))
    assert confirmed == 3
    positions = (await db.scalars(select(Signup.position).where(Signup.session_id == sess.id))).all()
    assert sorted(positions) == list(range(1, 11))


async def test_racing_resends_of_one_sign_up_store_one_row(db, town, sessionmaker):
    salon = await make_salon(db, town)
    sess = await future_session(db, town, salon)
    (p,) = await residents(db, town, 1)
    key = cid()

    async def attempt() -> int:
        async with sessionmaker() as s:
            row, _ = await signups.sign_up(s, actor=town.coord, scope=await build_scope(s, town.coord),
                                           session_id=sess.id, person_id=p, client_id=key)
            await s.commit()
            return row.id

    ids = await asyncio.gather(*(attempt() for _ in range(5)))
    assert len(set(ids)) == 1
    assert await db.scalar(select(func.count()).select_from(Signup)) == 1
