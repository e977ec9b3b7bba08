"""The issue's "done when", on the demo town: the commissioner's round ordered by who is most
overdue, the month's blocks counting, and the two volunteers who must get 404."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from server.assignments.models import Assignment
from server.contacts import queries
from server.demo.seed import seed_demo
from server.households.models import Household
from server.scope import build_scope
from server.users.models import User
from tests.helpers import sign_in


async def test_demo_round_and_the_volunteers_who_get_404(db, client, sessionmaker, settings):
    assert await seed_demo(db, if_empty=True)
    await db.commit()
    users = {u.display_name: u for u in (await db.scalars(select(User))).all()}
    commissioner, salon, other = users["佐藤 和子"], users["鈴木 節子"], users["伊藤 勇"]
    assert await db.scalar(select(Household.id).where(Household.id > 190)) is not None  # about 200 households
    entries = await queries.round_for(db, await build_scope(db, commissioner))
    assert len(entries) >= 30
    overdue = [e.overdue_days for e in entries]
    assert overdue == sorted(overdue, reverse=True) and entries[0].never_visited
    assert any(e.revisits for e in entries)
    today = queries.utcnow().astimezone(queries.TOKYO).date()
    # The demo's visits lie in the days before today: in the first hours of a month, last month's.
    month = today if today.day > 1 else today.replace(day=1) - dt.timedelta(days=1)
    blocks = await queries.month_blocks(db, commissioner.id, month.year, month.month)
    assert blocks.visits > 0 and blocks.days > 0
    # A household of the commissioner's that the 緑が丘 volunteer is not assigned to.
    mine = {a.household_id for a in (await db.scalars(select(Assignment).where(Assignment.user_id == salon.id))).all()}
    target = next(e.household.id for e in entries if e.household.id not in mine)
    await db.commit()
    for volunteer in (salon, other):
        client.cookies.clear()
        await sign_in(client, sessionmaker, settings, volunteer)
        assert (await client.get(f"/households/{target}")).status_code == 404
    client.cookies.clear()
    await sign_in(client, sessionmaker, settings, commissioner)
    page = await client.get("/home")
    assert page.status_code == 200 and page.text.count("data-quick-log") == len(entries)
