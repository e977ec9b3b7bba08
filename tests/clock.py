"""The suite's fixed clock, and the calendar sweep.

Every test runs at a pinned instant (time-machine freezes `datetime.now`, `date.today` and
`time.time` at that instant and lets it run on from there), so no test depends on the day it
happens to run. The app reads the same clock through server/clock.py; a server started by the
browser harness is given the instant as TSUNAGU_PINNED_NOW, and Chromium through Playwright's
`clock.install`.

- `TSUNAGU_TEST_NOW=2027-03-31T14:59:00+00:00 make test` runs the whole suite at another instant.
- `pytest -m calendar --calendar-sweep` runs every test marked `calendar` once at each instant
  of SWEEP (the boundaries where date rules change), in one process.
- A test that needs the machine's real clock says so with `@pytest.mark.real_clock`.
"""
from __future__ import annotations

import datetime as dt
import os

import pytest

UTC = dt.UTC

# A Wednesday, 10:00 in Tokyo, in the middle of a month, of a fiscal year and of a commissioners'
# term, and not near a holiday: the ordinary day most tests are written for.
DEFAULT = dt.datetime(2027, 6, 16, 1, 0, tzinfo=UTC)

# The instants where the calendar's rules turn over (JST = UTC+9; 14:59 UTC is 23:59 in Tokyo).
SWEEP: dict[str, dt.datetime] = {
    "fy-end-2027-03-31": dt.datetime(2027, 3, 31, 14, 59, tzinfo=UTC),
    "fy-start-2027-04-01": dt.datetime(2027, 3, 31, 15, 0, tzinfo=UTC),
    "term-end-2027-11-30": dt.datetime(2027, 11, 30, 3, 0, tzinfo=UTC),
    "term-start-2027-12-01": dt.datetime(2027, 12, 1, 3, 0, tzinfo=UTC),
    "reappointment-eve-2028-11-30": dt.datetime(2028, 11, 30, 14, 59, tzinfo=UTC),
    "reappointment-2028-12-01": dt.datetime(2028, 11, 30, 15, 0, tzinfo=UTC),
    "year-end-2027-12-28": dt.datetime(2027, 12, 28, 1, 0, tzinfo=UTC),
    "new-year-eve-2027-12-31": dt.datetime(2027, 12, 31, 14, 59, tzinfo=UTC),
    "new-year-2028-01-01": dt.datetime(2027, 12, 31, 15, 0, tzinfo=UTC),
    "leap-day-2028-02-29": dt.datetime(2028, 2, 29, 3, 0, tzinfo=UTC),
    "month-end-2027-06-30-23:59": dt.datetime(2027, 6, 30, 14, 59, tzinfo=UTC),
    "month-start-2027-07-01-00:00": dt.datetime(2027, 6, 30, 15, 0, tzinfo=UTC),
    "holiday-2027-01-11": dt.datetime(2027, 1, 11, 1, 0, tzinfo=UTC),
    "after-holiday-2027-01-12": dt.datetime(2027, 1, 12, 1, 0, tzinfo=UTC),
}


def pinned_default() -> dt.datetime:
    """DEFAULT, or the instant TSUNAGU_TEST_NOW names (an ISO 8601 instant with its offset)."""
    raw = os.environ.get("TSUNAGU_TEST_NOW", "").strip()
    if not raw:
        return DEFAULT
    at = dt.datetime.fromisoformat(raw)
    if at.tzinfo is None:
        raise pytest.UsageError(f"TSUNAGU_TEST_NOW needs a UTC offset, got {raw!r}")
    return at


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--calendar-sweep", action="store_true",
                     help="run each test marked `calendar` at every instant of tests/clock.py:SWEEP")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "calendar: date-sensitive; run at every SWEEP instant by --calendar-sweep")
    config.addinivalue_line("markers", "real_clock: runs on the machine's clock instead of the pinned instant")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.config.getoption("calendar_sweep") and metafunc.definition.get_closest_marker("calendar"):
        metafunc.parametrize("pinned_at", list(SWEEP.values()), ids=list(SWEEP))


@pytest.fixture
def pinned_at() -> dt.datetime:
    return pinned_default()


@pytest.fixture(autouse=True)
def clock(request: pytest.FixtureRequest, pinned_at: dt.datetime):
    """The pinned clock for this test (time-machine's traveller: `clock.shift(...)`, `clock.move_to(...)`)."""
    if request.node.get_closest_marker("real_clock"):
        yield None
        return
    import time_machine

    from server import clock as app_clock

    app_clock.unpin()
    with time_machine.travel(pinned_at, tick=True) as traveller:
        yield traveller
