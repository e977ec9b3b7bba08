"""Pure recurrence: which dates a salon's schedule produces in a range. No database, no clock.

- monthly_nth: the nth weekday of each month ("毎月第2火曜"); nth = -1 is the last one; a month
  without a 5th such weekday is skipped, never moved into the next month;
- weekly: every such weekday;
- dates: the chosen dates, in order, without duplicates;
- none: a one-off (a round-table): no dates are generated.
"""
from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable

from server import clock

WEEKDAYS_JA = "月火水木金土日"


def nth_weekday(year: int, month: int, weekday: int, nth: int) -> dt.date | None:
    """The nth (1..5, or -1 for last) `weekday` (0 = Monday) of a month, or None when there is none."""
    days = [d for d in range(1, calendar.monthrange(year, month)[1] + 1)
            if dt.date(year, month, d).weekday() == weekday]
    if nth == -1:
        return dt.date(year, month, days[-1])
    if 1 <= nth <= len(days):
        return dt.date(year, month, days[nth - 1])
    return None


def occurrences(kind: str, start: dt.date, end: dt.date, *, weekday: int | None = None, nth: int | None = None,
                dates: Iterable[dt.date] = ()) -> list[dt.date]:
    """Dates in [start, end] (both included), ascending."""
    if end < start:
        return []
    if kind == "dates":
        return sorted({d for d in dates if start <= d <= end})
    if kind == "weekly" and weekday is not None:
        first = start + dt.timedelta(days=(weekday - start.weekday()) % 7)
        return [first + dt.timedelta(weeks=i) for i in range((end - first).days // 7 + 1)] if first <= end else []
    if kind == "monthly_nth" and weekday is not None and nth is not None:
        found = []
        year, month = start.year, start.month
        while (year, month) <= (end.year, end.month):
            day = nth_weekday(year, month, weekday, nth)
            if day is not None and start <= day <= end:
                found.append(day)
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return found
    return []


fiscal_year_of = clock.fiscal_year_of
fiscal_year_bounds = clock.fiscal_year_bounds


def parse_time(value: str) -> dt.time | None:
    try:
        hours, minutes = value.strip().split(":")
        return dt.time(int(hours), int(minutes))
    except (ValueError, AttributeError):
        return None
