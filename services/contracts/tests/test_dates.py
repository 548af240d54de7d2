"""contracts.dates: whole years that respect leap days (the month arithmetic under them is
the shared library's, tested in services/shared/tests/test_dates.py)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.dates import add_months, add_years

DAYS = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))
FAST = settings(max_examples=300, deadline=None)


def _last_day(year: int, month: int) -> int:
    """Days in a month, computed without the calendar module: first of next month - 1 day."""
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return (following - timedelta(days=1)).day


@pytest.mark.parametrize(
    ("start", "years", "expected"),
    [
        (date(2024, 2, 29), 1, date(2025, 2, 28)),
        (date(2024, 2, 29), 4, date(2028, 2, 29)),
        (date(2024, 2, 29), -1, date(2023, 2, 28)),
        (date(2024, 2, 29), -4, date(2020, 2, 29)),
        (date(2096, 2, 29), 4, date(2100, 2, 28)),  # century year without a leap day
        (date(2019, 1, 15), 5, date(2024, 1, 15)),
        (date(2021, 6, 30), 1, date(2022, 6, 30)),
        (date(2021, 12, 31), 1, date(2022, 12, 31)),
        (date(2021, 3, 1), 0, date(2021, 3, 1)),
    ],
)
def test_add_years_examples(start: date, years: int, expected: date) -> None:
    assert add_years(start, years) == expected


def test_every_day_of_a_leap_cycle_plus_one_year() -> None:
    """Exhaustively over 2023-2028 (two leap years): same day next year, Feb 29 on Feb 28."""
    day = date(2023, 1, 1)
    while day <= date(2028, 12, 31):
        later = add_years(day, 1)
        assert (later.year, later.month) == (day.year + 1, day.month)
        assert later.day == min(day.day, _last_day(later.year, later.month)), day
        day += timedelta(days=1)


@FAST
@given(DAYS, st.integers(min_value=-100, max_value=100))
def test_add_years_is_twelve_months(day: date, years: int) -> None:
    result = add_years(day, years)
    assert result == add_months(day, 12 * years)
    assert result.year == day.year + years
    assert result.month == day.month
    if (day.month, day.day) != (2, 29):
        assert result.day == day.day
    else:
        leap = _last_day(result.year, 2) == 29
        assert result.day == (29 if leap else 28)
