"""Response targets: by when a concern must be acknowledged, counted from its arrival in an inbox.

Defaults (per-municipality settings in ConcernSettings): 緊急 within 60 minutes (clock time, day
or night), 早め within 1 working day, 通常 within 3 working days. A working day is a Tokyo
weekday that is not in the municipality's holiday calendar; "within N working days" means by the
same clock time on the Nth working day after arrival (a concern arriving on a holiday counts from
the next working day's start).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.concerns.models import ConcernSettings, Holiday
from server.i18n import TOKYO

DEFAULTS = {"emergency_minutes": 60, "soon_days": 1, "normal_days": 3}

# Japan's national holidays and the usual office closure (12/29–1/3), seeded into a municipality's
# calendar on first use; coordinators edit the calendar afterwards.
NATIONAL_HOLIDAYS = {
    "2026-01-01": "元日", "2026-01-12": "成人の日", "2026-02-11": "建国記念の日", "2026-02-23": "天皇誕生日",
    "2026-03-20": "春分の日", "2026-04-29": "昭和の日", "2026-05-03": "憲法記念日", "2026-05-04": "みどりの日",
    "2026-05-05": "こどもの日", "2026-05-06": "振替休日", "2026-07-20": "海の日", "2026-08-11": "山の日",
    "2026-09-21": "敬老の日", "2026-09-22": "国民の休日", "2026-09-23": "秋分の日", "2026-10-12": "スポーツの日",
    "2026-11-03": "文化の日", "2026-11-23": "勤労感謝の日", "2026-12-29": "年末休暇", "2026-12-30": "年末休暇",
    "2026-12-31": "年末休暇", "2027-01-01": "元日", "2027-01-02": "年始休暇", "2027-01-03": "年始休暇",
    "2027-01-11": "成人の日", "2027-02-11": "建国記念の日", "2027-02-23": "天皇誕生日", "2027-03-21": "春分の日",
    "2027-03-22": "振替休日", "2027-04-29": "昭和の日", "2027-05-03": "憲法記念日", "2027-05-04": "みどりの日",
    "2027-05-05": "こどもの日", "2027-07-19": "海の日", "2027-08-11": "山の日", "2027-09-20": "敬老の日",
    "2027-09-23": "秋分の日", "2027-10-11": "スポーツの日", "2027-11-03": "文化の日", "2027-11-23": "勤労感謝の日",
}


def is_working_day(day: dt.date, holidays: set[dt.date]) -> bool:
    return day.weekday() < 5 and day not in holidays


def due_at(arrived: dt.datetime, urgency: str, settings: dict[str, int], holidays: set[dt.date]) -> dt.datetime:
    """When the concern must be acknowledged by (UTC)."""
    if urgency == "emergency":
        return arrived + dt.timedelta(minutes=settings["emergency_minutes"])
    days = settings["soon_days"] if urgency == "soon" else settings["normal_days"]
    local = arrived.astimezone(TOKYO)
    day, clock = local.date(), local.timetz()
    if not is_working_day(day, holidays):
        clock = dt.time(0, 0, tzinfo=TOKYO)  # arrived on a day off: the clock starts the next working day
    counted = 0
    while counted < days:
        day += dt.timedelta(days=1)
        if is_working_day(day, holidays):
            counted += 1
    return dt.datetime.combine(day, clock.replace(tzinfo=None), tzinfo=TOKYO).astimezone(dt.timezone.utc)


async def settings_for(session: AsyncSession, municipality_id: int) -> dict[str, int]:
    row = await session.get(ConcernSettings, municipality_id)
    if row is None:
        return dict(DEFAULTS)
    return {"emergency_minutes": row.emergency_minutes, "soon_days": row.soon_days, "normal_days": row.normal_days}


async def holidays_for(session: AsyncSession, municipality_id: int, around: dt.datetime) -> set[dt.date]:
    """The municipality's calendar (or, if it has none yet, the national list) near `around`."""
    start = around.astimezone(TOKYO).date() - dt.timedelta(days=7)
    end = start + dt.timedelta(days=60)
    rows = set((await session.scalars(select(Holiday.day).where(
        Holiday.municipality_id == municipality_id, Holiday.day >= start, Holiday.day <= end))).all())
    if rows or await session.scalar(select(Holiday.id).where(Holiday.municipality_id == municipality_id).limit(1)):
        return rows
    return {dt.date.fromisoformat(d) for d in NATIONAL_HOLIDAYS}


async def compute_due(session: AsyncSession, municipality_id: int, urgency: str, arrived: dt.datetime) -> dt.datetime:
    return due_at(arrived, urgency, await settings_for(session, municipality_id),
                  await holidays_for(session, municipality_id, arrived))
