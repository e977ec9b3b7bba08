"""Concurrent writers on one chain: every row gets the next seq and the chain stays valid
(SQLite queues writers with BEGIN IMMEDIATE; PostgreSQL on the chain head's row lock)."""
from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from server.audit import service as audit
from server.audit.models import AuditEvent

WRITERS = 20
ROWS_EACH = 10


async def test_twenty_concurrent_writers_leave_one_valid_chain(sessionmaker, town):
    # The chain does not exist yet: the writers also race to create its head.
    async def writer(n: int) -> None:
        async with sessionmaker() as session:
            for i in range(ROWS_EACH):
                async with session.begin():
                    await audit.record(session, action="role.granted", actor_id=town.actor,
                                       municipality_id=town.city, object_type="user", object_id=n * 100 + i)
                await asyncio.sleep(0)

    await asyncio.gather(*(writer(n) for n in range(WRITERS)))

    async with sessionmaker() as session:
        seqs = (await session.scalars(select(AuditEvent.seq).where(AuditEvent.chain == f"m:{town.city}")
                                      .order_by(AuditEvent.seq))).all()
        assert list(seqs) == list(range(1, WRITERS * ROWS_EACH + 1))
        written = (await session.scalars(select(AuditEvent.object_id))).all()
        assert len(set(written)) == WRITERS * ROWS_EACH  # nobody's row was lost or doubled
        assert await audit.verify(session) == []


async def test_writers_on_different_chains_do_not_disturb_each_other(sessionmaker, town):
    async def writer(municipality_id: int | None, n: int) -> None:
        async with sessionmaker() as session, session.begin():
            for i in range(5):
                await audit.record(session, action="area.updated", actor_id=None,
                                   municipality_id=municipality_id, object_type="area", object_id=n * 10 + i)

    targets = [town.city, town.other_city, None] * 4
    await asyncio.gather(*(writer(m, n) for n, m in enumerate(targets)))
    async with sessionmaker() as session:
        counts = dict((await session.execute(select(AuditEvent.chain, func.count()).group_by(AuditEvent.chain))).all())
        assert counts == {f"m:{town.city}": 20, f"m:{town.other_city}": 20, "pref": 20}
        assert await audit.verify(session) == []


async def test_a_session_reused_across_transactions_never_trusts_a_stale_head(sessionmaker, town):
    """The request session keeps objects after commit (expire_on_commit=False): record() must
    re-read the head under its lock, not reuse the one it saw before another writer moved it."""
    async with sessionmaker() as slow, sessionmaker() as fast:
        async with slow.begin():
            await audit.record(slow, action="area.updated", actor_id=None, municipality_id=town.city)
            from server.audit.models import AuditHead

            kept = await slow.get(AuditHead, f"m:{town.city}")  # a strong reference to the old head
        for _ in range(3):
            async with fast.begin():
                await audit.record(fast, action="area.updated", actor_id=None, municipality_id=town.city)
        async with slow.begin():
            await audit.record(slow, action="area.updated", actor_id=None, municipality_id=town.city)
        async with sessionmaker() as check:
            seqs = (await check.scalars(select(AuditEvent.seq).where(AuditEvent.chain == f"m:{town.city}")
                                        .order_by(AuditEvent.seq))).all()
        assert seqs == [1, 2, 3, 4, 5]  # the slow session's second row follows the fast one's
        async with slow.begin():
            # The database moved the head (trigger); verify must read it afresh, not from the stale
            # object this session still holds.
            assert kept.seq == 1
            assert await audit.verify(slow) == []
            assert kept.seq == 5
