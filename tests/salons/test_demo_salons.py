"""The issue's "done when" on the demo town: a month run by the salon persona, the person who
stopped coming on her round one tap from a visit, and the yearly report."""
from __future__ import annotations

from sqlalchemy import select

from server import clock
from server.contacts import queries
from server.demo.seed import seed_demo
from server.salons import reports, schedule
from server.salons.models import Followup, Salon, SalonSession
from server.scope import build_scope
from server.users.models import User


async def test_the_demo_salon_puts_who_stopped_coming_on_the_organisers_round(db):
    assert await seed_demo(db, if_empty=True)
    await db.commit()
    organiser = (await db.scalars(select(User).where(User.display_name == "鈴木 節子"))).one()
    salon = (await db.scalars(select(Salon).where(Salon.name == "緑が丘ふれあいサロン"))).one()
    fu = (await db.scalars(select(Followup).where(Followup.closed_at.is_(None)))).one()
    assert fu.salon_id == salon.id and fu.absences == 2
    entries = await queries.round_for(db, await build_scope(db, organiser))
    signed = [e for e in entries if e.signs]
    assert [e.household.id for e in signed] == [fu.household_id]
    year = schedule.fiscal_year_of(clock.today_tokyo())
    report = await reports.year_report(db, salon, year)
    planned = (await db.scalars(select(SalonSession).where(SalonSession.salon_id == salon.id))).all()
    held = [s for s in planned if s.attendance_taken_at is not None]
    assert len(held) == 2
    assert report.held == sum(1 for s in held if schedule.fiscal_year_of(s.origin_date) == year)
    assert report.held == 0 or report.unique_participants >= 5
    assert len(planned) >= 3
