"""Statements marked DEFERRABLE (server/sqlite_driver.py): the embedded driver holds them and sends
them with the transaction's next statement or its COMMIT. Whatever the database, the transaction
must behave as if they ran at once: the next statement sees them, a failing one writes nothing of
the transaction, and a rollback drops them. (On PostgreSQL the marker is only a comment.)"""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from server.sqlite_driver import DEFERRABLE

ADD = text("INSERT " + DEFERRABLE + " INTO audit_heads (chain, seq, mac) VALUES (:chain, 0, :mac)")
COUNT = text("SELECT count(*) FROM audit_heads WHERE chain LIKE 'test:%'")
MAC = b"\x00" * 32


async def test_the_next_statement_sees_a_deferred_one(sessionmaker):
    async with sessionmaker() as s:
        await s.execute(ADD, {"chain": "test:a", "mac": MAC})
        assert await s.scalar(COUNT) == 1
        await s.execute(ADD, {"chain": "test:b", "mac": MAC})
        await s.commit()  # the second travels with the COMMIT
    async with sessionmaker() as s:
        assert await s.scalar(COUNT) == 2


async def test_a_failing_deferred_statement_writes_nothing_of_its_transaction(sessionmaker):
    async with sessionmaker() as s:
        await s.execute(ADD, {"chain": "test:a", "mac": MAC})
        await s.commit()
    async with sessionmaker() as s:
        with pytest.raises(IntegrityError):  # raised where it runs: at once, or with the COMMIT
            await s.execute(ADD, {"chain": "test:b", "mac": MAC})
            await s.execute(ADD, {"chain": "test:a", "mac": MAC})  # the same chain again
            await s.commit()
        await s.rollback()
    async with sessionmaker() as s:
        assert (await s.execute(text("SELECT chain FROM audit_heads WHERE chain LIKE 'test:%'"))).scalars().all() \
            == ["test:a"]


async def test_a_rollback_drops_what_was_held(sessionmaker):
    async with sessionmaker() as s:
        await s.execute(ADD, {"chain": "test:c", "mac": MAC})
        await s.rollback()
        await s.execute(text("SELECT 1"))  # a new transaction: nothing held may leak into it
        await s.commit()
    async with sessionmaker() as s:
        assert await s.scalar(COUNT) == 0
