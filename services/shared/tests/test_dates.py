"""careplane_shared.dates: whole months that respect month ends and leap days."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from careplane_shared.dates import add_months

DAYS = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))
MONTHS = st.integers(min_value=-1200, max_value=1200)
FAST = settings(max_examples=300, deadline=None)


def _last_day(year: int, month: int) -> int:
    """Days in a month, computed without the calendar module: first of next month - 1 day."""
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return (following - timedelta(days=1)).day


def _oracle(day: date, months: int) -> date:
    """add_months by walking one month at a time: a different algorithm to compare with."""
    year, month = day.year, day.month
    step = 1 if months > 0 else -1
    for _ in range(abs(months)):
        month += step
        if month == 13:
            year, month = year + 1, 1
        elif month == 0:
            year, month = year - 1, 12
    return date(year, month, min(day.day, _last_day(year, month)))


# --- month ends and leap years, by hand ---------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        # Jan 31 + 1 month clamps to the last day of February, leap or not.
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2100, 1, 31), 1, date(2100, 2, 28)),  # 2100 is not a leap year
        (date(2000, 1, 31), 1, date(2000, 2, 29)),  # 2000 is
        # ... and the clamp is not remembered: Jan 31 + 2 months is Mar 31, not Mar 29.
        (date(2024, 1, 31), 2, date(2024, 3, 31)),
        (date(2024, 1, 31), 3, date(2024, 4, 30)),
        (date(2024, 3, 31), 1, date(2024, 4, 30)),
        (date(2024, 5, 31), 1, date(2024, 6, 30)),
        (date(2024, 8, 31), 6, date(2025, 2, 28)),
        (date(2023, 8, 31), 6, date(2024, 2, 29)),
        (date(2024, 1, 30), 1, date(2024, 2, 29)),
        (date(2024, 1, 29), 1, date(2024, 2, 29)),
        (date(2024, 1, 28), 1, date(2024, 2, 28)),
        # Feb 29 + 12 months has no Feb 29 to land on.
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 24, date(2026, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2024, 2, 29), 1, date(2024, 3, 29)),
        # Year boundaries both ways.
        (date(2024, 12, 31), 1, date(2025, 1, 31)),
        (date(2024, 11, 30), 2, date(2025, 1, 30)),
        (date(2025, 1, 15), -1, date(2024, 12, 15)),
        (date(2024, 3, 31), -1, date(2024, 2, 29)),
        (date(2023, 3, 31), -1, date(2023, 2, 28)),
        (date(2025, 2, 28), -12, date(2024, 2, 28)),
        (date(2024, 7, 31), -5, date(2024, 2, 29)),
        (date(2024, 1, 1), -13, date(2022, 12, 1)),
        # Zero is the identity, also on a leap day.
        (date(2024, 2, 29), 0, date(2024, 2, 29)),
        (date(2019, 1, 15), 0, date(2019, 1, 15)),
    ],
)
def test_add_months_examples(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


def test_every_day_of_a_leap_cycle_moved_by_months_both_ways() -> None:
    """Exhaustively over 2023-2028 (two leap years): against the month-walking oracle."""
    day = date(2023, 1, 1)
    while day <= date(2028, 12, 31):
        for months in (-13, -12, -6, -1, 1, 2, 6, 11, 12, 13, 24, 60):
            assert add_months(day, months) == _oracle(day, months), (day, months)
        day += timedelta(days=1)


# --- properties ---------------------------------------------------------------------------


@FAST
@given(DAYS, MONTHS)
def test_add_months_matches_the_oracle(day: date, months: int) -> None:
    assert add_months(day, months) == _oracle(day, months)


@FAST
@given(DAYS, MONTHS)
def test_lands_in_the_right_month_on_the_clamped_day(day: date, months: int) -> None:
    result = add_months(day, months)
    assert (result.year * 12 + result.month) - (day.year * 12 + day.month) == months
    assert result.day == min(day.day, _last_day(result.year, result.month))
    assert result.day <= day.day


@FAST
@given(DAYS, MONTHS)
def test_round_trip_is_exact_unless_the_day_was_clamped(day: date, months: int) -> None:
    there = add_months(day, months)
    back = add_months(there, -months)
    if there.day == day.day:
        assert back == day
    else:  # clamped on the way: never comes back later than the start
        assert back < day
        assert (back.year, back.month) == (day.year, day.month)


@FAST
@given(DAYS, MONTHS, MONTHS)
def test_two_steps_never_overshoot_one_step(day: date, a: int, b: int) -> None:
    """Chaining can only lose days to clamping (why renewals anchor to the first date)."""
    chained = add_months(add_months(day, a), b)
    direct = add_months(day, a + b)
    assert chained <= direct
    if day.day <= 28:
        assert chained == direct


@FAST
@given(DAYS, DAYS, MONTHS)
def test_monotonic_in_the_day(first: date, second: date, months: int) -> None:
    low, high = sorted((first, second))
    assert add_months(low, months) <= add_months(high, months)


@FAST
@given(DAYS, st.integers(min_value=-600, max_value=600), st.integers(min_value=0, max_value=600))
def test_monotonic_in_the_months(day: date, months: int, more: int) -> None:
    assert add_months(day, months) <= add_months(day, months + more)
    if more > 0:
        assert add_months(day, months) < add_months(day, months + more)
