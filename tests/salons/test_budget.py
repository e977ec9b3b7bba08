"""Query budgets: the organiser's session page and one attendance tap do not grow with the roster."""
from __future__ import annotations

import pytest
from sqlalchemy import event, select

from server.households.models import Person
from tests.helpers import post_form, sign_in
from tests.salons.builders import cid, make_salon, on_roster, past_session, today
from tests.watchover.builders import household


class Counter:
    def __init__(self, engine) -> None:
        self.n = 0
        event.listen(engine.sync_engine, "before_cursor_execute", self.count)

    def count(self, *args) -> None:
        statement = args[2]
        if not statement.lstrip().upper().startswith(("BEGIN", "PRAGMA")):
            self.n += 1


async def measure(client, app, fn) -> int:
    counter = Counter(app.state.engine)
    try:
        await fn()
    finally:
        event.remove(app.state.engine.sync_engine, "before_cursor_execute", counter.count)
    return counter.n


@pytest.mark.calendar
async def test_the_session_page_and_a_tap_stay_within_budget(client, app, db, town, sessionmaker, settings):
    salon = await make_salon(db, town)
    counts = {}
    for size in (3, 15):
        while len((await db.scalars(select(Person.id).where(Person.household_id.is_not(None)))).all()) < size:
            n = len((await db.scalars(select(Person.id))).all())
            h = await household(db, town, people=((f"常連 {n}", f"ジョウレン {n}", 1940),), address=f"港町{n}")
            person = (await db.scalars(select(Person).where(Person.household_id == h.id))).one()
            await on_roster(db, town, salon, person.id)
        # The session lies in the previous month (on any day of the sweep), so the tap pays for the
        # month-lock check (one SELECT of activity_months) that back-dated contacts need: the worst day.
        sess = await past_session(db, town, salon, today().day + size)
        person_id = (await db.scalars(select(Person.id).where(Person.household_id.is_not(None)))).first()
        await db.commit()
        await sign_in(client, sessionmaker, settings, town.vol_same)
        page = await measure(client, app, lambda sess=sess: client.get(f"/salons/sessions/{sess.id}"))
        tap = await measure(client, app, lambda sess=sess, person_id=person_id: post_form(
            client, f"/salons/sessions/{sess.id}/attendance",
            {"person_id": person_id, "status": "present", "client_id": cid()}))
        counts[size] = (page, tap)
    print("queries (page, tap) by roster size:", counts)
    assert counts[3][0] == counts[15][0], counts  # the page reads nothing per person
    assert abs(counts[3][1] - counts[15][1]) <= 1, counts  # the tap neither
    page, tap = counts[15]
    # 5 before any handler runs, 4 per audit row (the tap writes two: the contact and the attendance),
    # one for the month lock of a session in an earlier month, and one for the household's
    # last_contact_at when this contact is its newest (PostgreSQL; SQLite sends fewer).
    assert page <= 17 and tap <= 32, counts
