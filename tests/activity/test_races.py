"""Races: two simultaneous submissions of the same month (a double tap on two phones) store one
snapshot; two first openings of a month make one row. Must pass on SQLite and PostgreSQL."""
from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from server.activity import service
from server.activity.models import ActivityMonth, Submission
from server.errors import Invalid
from server.scope import build_scope
from tests.activity.builders import day_of_last_month, last_month, log, watched


async def test_two_simultaneous_submissions_store_one_snapshot(db, cast, sessionmaker):
    h = await watched(db, cast)
    await log(db, cast.commissioner, h, when=day_of_last_month(2))
    y, m = last_month()
    user_id = cast.commissioner.id

    async def submit_once() -> str:
        async with sessionmaker() as s:
            from server.users.models import User

            user = await s.get(User, user_id)
            try:
                row = await service.submit_month(s, actor=user, scope=await build_scope(s, user), year=y, month=m)
                await s.commit()
                return row.status
            except Invalid:
                await s.rollback()
                return "refused"

    results = await asyncio.gather(*[submit_once() for _ in range(4)])
    assert set(results) <= {"submitted", "refused"} and "submitted" in results
    assert await db.scalar(select(func.count()).select_from(Submission)) == 1
    assert await db.scalar(select(func.count()).select_from(ActivityMonth)) == 1


async def test_two_first_openings_of_a_month_make_one_row(db, cast, sessionmaker):
    y, m = last_month()
    user_id = cast.commissioner.id

    async def open_once() -> int:
        async with sessionmaker() as s:
            row = await service.month_row(s, user_id, y, m)
            await s.commit()
            return row.id

    ids = await asyncio.gather(*[open_once() for _ in range(4)])
    assert len(set(ids)) == 1
    assert await db.scalar(select(func.count()).select_from(ActivityMonth)) == 1
