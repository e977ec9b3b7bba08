"""The one place the app asks for "now", and the Tokyo calendar built on it.

Every rule that depends on the date (the activity-record month and its lock, cadence and
overdue ordering, salon schedules, response targets in working days, console periods, the
daily snapshot) reads the time through `utcnow()` here, so that a single pin moves all of them
together:

- in tests, the suite's clock fixture freezes `datetime.now` with time-machine (tests/clock.py);
- a server started by the browser harness gets `TSUNAGU_PINNED_NOW`, which config accepts only
  for a loopback `http://` origin; `pin()` then shifts this clock, never the machine's.

Store UTC, show Asia/Tokyo: everything here returns aware UTC instants or Tokyo dates.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

TOKYO = ZoneInfo("Asia/Tokyo")
UTC = dt.UTC

# How far this process's clock is moved from the machine's (zero unless a loopback test server
# was started with a pinned instant). A shift rather than a frozen value: time still passes.
_offset = dt.timedelta(0)


def utcnow() -> dt.datetime:
    return dt.datetime.now(UTC) + _offset


def timestamp() -> float:
    """Seconds since the epoch on this clock (for signed tokens that carry an expiry)."""
    return utcnow().timestamp()


def today_tokyo() -> dt.date:
    return utcnow().astimezone(TOKYO).date()


def pin(at: dt.datetime, since: float | None = None) -> None:
    """Move this process's clock so that it read `at` when the machine's clock read `since`
    (seconds since the epoch; now when omitted), and runs on from there.

    `since` lets a test server agree with the test to the millisecond, however long it took to
    start: the harness hands over both readings at the same moment."""
    global _offset
    if at.tzinfo is None:
        raise ValueError("a pinned instant needs a time zone")
    real = dt.datetime.now(UTC) if since is None else dt.datetime.fromtimestamp(since, UTC)
    _offset = at - real


def unpin() -> None:
    global _offset
    _offset = dt.timedelta(0)


def month_bounds(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    """A Tokyo calendar month as UTC instants [start, end)."""
    start = dt.datetime(year, month, 1, tzinfo=TOKYO)
    end = dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=TOKYO)
    return start.astimezone(UTC), end.astimezone(UTC)


def fiscal_year_of(day: dt.date) -> int:
    """Japan's fiscal year (April to March), named by the year it starts in."""
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_bounds(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 4, 1), dt.date(year + 1, 3, 31)
