"""Response targets: by when a concern must be acknowledged, counted from its arrival in an inbox.

Defaults (per-municipality settings in ConcernSettings): 緊急 within 60 minutes (clock time, day
or night), 早め within 1 working day, 通常 within 3 working days. A working day is a Tokyo
weekday that is not a national holiday or a New Year closure day (unless the municipality marks it
open) and not one of the municipality's own closed days; "within N working days" means by the
same clock time on the Nth working day after arrival (a concern arriving on a holiday counts from
the next working day's start).
"""
from __future__ import annotations

import datetime as dt

import jpholiday
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.concerns.models import ConcernSettings, Holiday
from server.i18n import TOKYO

DEFAULTS = {"emergency_minutes": 60, "soon_days": 1, "normal_days": 3}

# The office's New Year closure (年末年始, 12/29–1/3), closed by default like a national holiday;
# a municipality whose office opens on one of those days marks it open.
NEW_YEAR_CLOSURE = ((12, 29), (12, 30), (12, 31), (1, 2), (1, 3))


def national_days_off(start: dt.date, end: dt.date) -> dict[dt.date, str]:
    """National holidays (from jpholiday, which follows the Cabinet Office's list, substitute
    holidays and 国民の休日 included) and the New Year closure, from `start` to `end` inclusive."""
    days = dict(jpholiday.between(start, end))
    for year in range(start.year, end.year + 1):
        for month, day in NEW_YEAR_CLOSURE:
            d = dt.date(year, month, day)
            if start <= d <= end:
                days.setdefault(d, "年末年始休暇" if month == 12 else "年始休暇")
    return days


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
    return dt.datetime.combine(day, clock.replace(tzinfo=None), tzinfo=TOKYO).astimezone(dt.UTC)


async def settings_for(session: AsyncSession, municipality_id: int) -> dict[str, int]:
    row = await session.get(ConcernSettings, municipality_id)
    if row is None:
        return dict(DEFAULTS)
    return {"emergency_minutes": row.emergency_minutes, "soon_days": row.soon_days, "normal_days": row.normal_days}


async def holidays_for(session: AsyncSession, municipality_id: int, around: dt.datetime) -> set[dt.date]:
    """The days off near `around`: the national calendar, plus the municipality's own closed days,
    minus the days it marks open. The window covers the longest target (30 working days)."""
    start = around.astimezone(TOKYO).date() - dt.timedelta(days=7)
    end = start + dt.timedelta(days=75)
    days = set(national_days_off(start, end))
    for day, is_open in (await session.execute(select(Holiday.day, Holiday.open).where(
            Holiday.municipality_id == municipality_id, Holiday.day >= start, Holiday.day <= end))).all():
        if is_open:
            days.discard(day)
        else:
            days.add(day)
    return days


async def compute_due(session: AsyncSession, municipality_id: int, urgency: str, arrived: dt.datetime) -> dt.datetime:
    return due_at(arrived, urgency, await settings_for(session, municipality_id),
                  await holidays_for(session, municipality_id, arrived))
