"""The pure recurrence: 毎月第2火曜, the last weekday, weekly, chosen dates, fiscal years."""
import datetime as dt

from server.salons.schedule import (
    fiscal_year_bounds,
    fiscal_year_of,
    nth_weekday,
    occurrences,
    parse_time,
)

D = dt.date


def test_the_second_tuesday_of_each_month():
    days = occurrences("monthly_nth", D(2026, 4, 1), D(2027, 3, 31), weekday=1, nth=2)
    assert len(days) == 12
    assert days[0] == D(2026, 4, 14) and days[-1] == D(2027, 3, 9)
    assert all(d.weekday() == 1 and 8 <= d.day <= 14 for d in days)


def test_the_last_friday_and_a_missing_fifth_monday_is_skipped_not_moved():
    assert nth_weekday(2026, 12, 4, -1) == D(2026, 12, 25)
    assert nth_weekday(2026, 2, 0, 5) is None
    fifth_mondays = occurrences("monthly_nth", D(2026, 1, 1), D(2026, 12, 31), weekday=0, nth=5)
    assert fifth_mondays == [D(2026, 3, 30), D(2026, 6, 29), D(2026, 8, 31), D(2026, 11, 30)]


def test_weekly_includes_both_ends():
    days = occurrences("weekly", D(2026, 12, 1), D(2026, 12, 29), weekday=1)
    assert days == [D(2026, 12, 1), D(2026, 12, 8), D(2026, 12, 15), D(2026, 12, 22), D(2026, 12, 29)]
    assert occurrences("weekly", D(2026, 12, 2), D(2026, 12, 7), weekday=1) == []


def test_chosen_dates_in_range_sorted_once():
    chosen = [D(2026, 12, 20), D(2026, 11, 1), D(2026, 12, 20), D(2027, 5, 1)]
    assert occurrences("dates", D(2026, 11, 1), D(2027, 3, 31), dates=chosen) == [D(2026, 11, 1), D(2026, 12, 20)]


def test_a_one_off_generates_nothing_and_a_reversed_range_is_empty():
    assert occurrences("none", D(2026, 1, 1), D(2026, 12, 31)) == []
    assert occurrences("weekly", D(2026, 12, 31), D(2026, 1, 1), weekday=1) == []


def test_fiscal_year_runs_april_to_march():
    assert fiscal_year_of(D(2027, 3, 31)) == 2026 and fiscal_year_of(D(2026, 4, 1)) == 2026
    assert fiscal_year_bounds(2026) == (D(2026, 4, 1), D(2027, 3, 31))


def test_times_parse_or_refuse():
    assert parse_time("10:30") == dt.time(10, 30)
    assert parse_time("25:00") is None and parse_time("x") is None
