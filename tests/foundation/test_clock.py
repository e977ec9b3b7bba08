"""The fixed clock: every test runs at a pinned instant, the app reads the same clock, and a
deployment cannot be started on a made-up date."""
from __future__ import annotations

import datetime as dt

import pytest
from time_machine import escape_hatch

from server import clock
from server.config import ConfigError, load
from tests.clock import SWEEP, pinned_default

UTC = dt.UTC


def test_a_test_runs_at_the_pinned_instant_not_today():
    now = dt.datetime.now(UTC)
    assert abs(now - pinned_default()) < dt.timedelta(minutes=1)
    assert abs(clock.utcnow() - now) < dt.timedelta(seconds=1)
    assert clock.today_tokyo() == pinned_default().astimezone(clock.TOKYO).date()
    assert escape_hatch.is_travelling()


@pytest.mark.real_clock
def test_a_test_marked_real_clock_reads_the_machine_s_clock():
    assert not escape_hatch.is_travelling()
    import time

    assert abs(dt.datetime.now(UTC).timestamp() - time.time()) < 5


def test_the_clock_fixture_moves_the_app_s_clock_too(clock):
    clock.move_to(dt.datetime(2028, 2, 29, 14, 59, 30, tzinfo=UTC))
    from server import clock as app_clock

    assert app_clock.today_tokyo() == dt.date(2028, 2, 29)
    clock.shift(dt.timedelta(minutes=1))
    assert app_clock.today_tokyo() == dt.date(2028, 3, 1)


def test_the_sweep_crosses_each_boundary_in_tokyo_time():
    tokyo = {name: at.astimezone(clock.TOKYO) for name, at in SWEEP.items()}
    assert (tokyo["fy-end-2027-03-31"].date(), tokyo["fy-start-2027-04-01"].date()) == (
        dt.date(2027, 3, 31), dt.date(2027, 4, 1))
    assert tokyo["month-end-2027-06-30-23:59"].strftime("%H:%M") == "23:59"
    assert tokyo["month-start-2027-07-01-00:00"].strftime("%d %H:%M") == "01 00:00"
    assert tokyo["reappointment-2028-12-01"].date() == dt.date(2028, 12, 1)
    assert tokyo["holiday-2027-01-11"].weekday() == 0 and tokyo["leap-day-2028-02-29"].day == 29


def test_pin_with_since_agrees_however_late_it_is_applied():
    at = dt.datetime(2027, 3, 31, 14, 59, tzinfo=UTC)
    since = dt.datetime.now(UTC).timestamp() - 2.0  # the pin was read two seconds ago
    try:
        clock.pin(at, since)
        assert abs(clock.utcnow() - (at + dt.timedelta(seconds=2))) < dt.timedelta(milliseconds=200)
    finally:
        clock.unpin()
    with pytest.raises(ValueError):
        clock.pin(dt.datetime(2027, 1, 1))


def test_a_pinned_instant_is_only_accepted_for_a_loopback_http_origin():
    ok = load({"TSUNAGU_PINNED_NOW": "2027-03-31T14:59:00+00:00", "TSUNAGU_PINNED_SINCE": "1700000000.5"})
    assert ok.pinned_now == dt.datetime(2027, 3, 31, 14, 59, tzinfo=UTC) and ok.pinned_since == 1700000000.5
    for origin in ("https://tsunagu.example.jp", "http://tsunagu.example.jp", "https://localhost:8000"):
        with pytest.raises(ConfigError) as e:
            load({"TSUNAGU_PINNED_NOW": "2027-03-31T14:59:00+00:00", "TSUNAGU_ORIGIN": origin})
        assert e.value.variable == "TSUNAGU_PINNED_NOW"
    for bad in ("tomorrow", "2027-03-31T14:59:00"):
        with pytest.raises(ConfigError) as e:
            load({"TSUNAGU_PINNED_NOW": bad})
        assert e.value.variable == "TSUNAGU_PINNED_NOW"
    with pytest.raises(ConfigError) as e:
        load({"TSUNAGU_PINNED_NOW": "2027-03-31T14:59:00+00:00", "TSUNAGU_PINNED_SINCE": "soon"})
    assert e.value.variable == "TSUNAGU_PINNED_SINCE"


def test_the_app_started_with_a_pin_reads_it(settings):
    from dataclasses import replace

    from server.app import create_app

    at = dt.datetime(2028, 11, 30, 15, 0, tzinfo=UTC)
    try:
        create_app(replace(settings, pinned_now=at))
        assert clock.today_tokyo() == dt.date(2028, 12, 1)
    finally:
        clock.unpin()
