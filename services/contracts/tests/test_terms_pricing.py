"""contracts.agreements.terms: agreement years anchored to the first commencement, and pricing."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from math import floor

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.agreements.terms import (
    PricingRule,
    Term,
    price_for_year,
    term_for_year,
    upgrade_price,
    year_at,
)
from contracts.dates import add_months

ANCHORS = st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31))
TERM_MONTHS = st.sampled_from([1, 2, 3, 6, 12, 12, 12, 24, 36])
FAST = settings(max_examples=200, deadline=None)

# Seed 003: Basic year 1 = 12% of the license price, each later year 20%; upgrade 30%.
BASIC = PricingRule(
    first_year_percent=Decimal("12"),
    later_years_percent=Decimal("20"),
    upgrade_percent=Decimal("30"),
)
DEMO_LICENSE_PRICE = Decimal("10000")


# --- terms by hand ------------------------------------------------------------------------


def test_first_term_is_twelve_months_less_a_day() -> None:
    assert term_for_year(date(2026, 9, 23), 1) == Term(1, date(2026, 9, 23), date(2027, 9, 22))
    assert term_for_year(date(2026, 9, 23), 2) == Term(2, date(2027, 9, 23), date(2028, 9, 22))


def test_jan_31_commencement_keeps_january_31() -> None:
    assert term_for_year(date(2024, 1, 31), 1) == Term(1, date(2024, 1, 31), date(2025, 1, 30))
    assert term_for_year(date(2024, 1, 31), 2) == Term(2, date(2025, 1, 31), date(2026, 1, 30))


def test_feb_29_commencement_renews_on_feb_28_and_back_on_feb_29_in_leap_years() -> None:
    anchor = date(2024, 2, 29)
    # Year 1: 2024-02-29 .. 2025-02-27 (the next year starts on Feb 28, there is no Feb 29).
    assert term_for_year(anchor, 1) == Term(1, date(2024, 2, 29), date(2025, 2, 27))
    assert term_for_year(anchor, 2) == Term(2, date(2025, 2, 28), date(2026, 2, 27))
    assert term_for_year(anchor, 3) == Term(3, date(2026, 2, 28), date(2027, 2, 27))
    # Year 4 runs up to the leap day of 2028, on which year 5 starts: no drift to Feb 28.
    assert term_for_year(anchor, 4) == Term(4, date(2027, 2, 28), date(2028, 2, 28))
    assert term_for_year(anchor, 5) == Term(5, date(2028, 2, 29), date(2029, 2, 27))


def test_monthly_renewals_across_month_ends_do_not_drift() -> None:
    """Jan 31 -> Feb 28 -> Mar 31 (anchored), not Jan 31 -> Feb 28 -> Mar 28 (chained)."""
    anchor = date(2023, 1, 31)
    starts = [term_for_year(anchor, year, term_months=1).starts_on for year in range(1, 8)]
    assert starts == [
        date(2023, 1, 31),
        date(2023, 2, 28),
        date(2023, 3, 31),
        date(2023, 4, 30),
        date(2023, 5, 31),
        date(2023, 6, 30),
        date(2023, 7, 31),
    ]
    assert term_for_year(anchor, 2, term_months=1).ends_on == date(2023, 3, 30)
    # What chaining from the previous renewal would give, and what must not happen:
    chained = add_months(add_months(anchor, 1), 1)
    assert chained == date(2023, 3, 28)
    assert term_for_year(anchor, 3, term_months=1).starts_on != chained


def test_half_year_terms_from_august_31() -> None:
    anchor = date(2023, 8, 31)
    assert term_for_year(anchor, 1, 6) == Term(1, date(2023, 8, 31), date(2024, 2, 28))
    assert term_for_year(anchor, 2, 6) == Term(2, date(2024, 2, 29), date(2024, 8, 30))
    assert term_for_year(anchor, 3, 6) == Term(3, date(2024, 8, 31), date(2025, 2, 27))


@pytest.mark.parametrize("year", [0, -1])
def test_years_start_at_one(year: int) -> None:
    with pytest.raises(ValueError, match="start at 1"):
        term_for_year(date(2024, 1, 1), year)


@pytest.mark.parametrize("term_months", [0, -12])
def test_a_term_lasts_at_least_a_month(term_months: int) -> None:
    with pytest.raises(ValueError, match="at least one month"):
        term_for_year(date(2024, 1, 1), 1, term_months)


@pytest.mark.parametrize("term_months", [0, -12])
def test_year_at_refuses_a_term_shorter_than_a_month_like_term_for_year(term_months: int) -> None:
    # Same input validation as term_for_year, not a ZeroDivisionError / nonsense year.
    with pytest.raises(ValueError, match="at least one month"):
        year_at(date(2024, 1, 1), date(2025, 6, 1), term_months)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2024, 1, 30), None),
        (date(2024, 1, 31), 1),
        (date(2024, 2, 29), 1),
        (date(2025, 1, 30), 1),
        (date(2025, 1, 31), 2),
        (date(2025, 2, 28), 2),
        (date(2026, 1, 30), 2),
        (date(2026, 1, 31), 3),
        (date(2034, 1, 31), 11),
    ],
)
def test_year_at_examples(day: date, expected: int | None) -> None:
    assert year_at(date(2024, 1, 31), day) == expected


def test_year_at_feb_29_anchor() -> None:
    anchor = date(2024, 2, 29)
    assert year_at(anchor, date(2025, 2, 27)) == 1
    assert year_at(anchor, date(2025, 2, 28)) == 2
    assert year_at(anchor, date(2028, 2, 28)) == 4
    assert year_at(anchor, date(2028, 2, 29)) == 5


# --- terms exhaustively and as properties -------------------------------------------------


def test_every_commencement_day_of_a_leap_cycle_partitions_time() -> None:
    """Every anchor day 2023-01-01 .. 2028-12-31, monthly and yearly terms: the terms are
    contiguous and year_at agrees with them on each term's first and last day."""
    anchor = date(2023, 1, 1)
    while anchor <= date(2028, 12, 31):
        for term_months in (1, 12):
            previous: Term | None = None
            for year in range(1, 7):
                term = term_for_year(anchor, year, term_months)
                assert term.year == year
                assert term.starts_on == add_months(anchor, term_months * (year - 1))
                assert term.starts_on <= term.ends_on
                if previous is not None:
                    assert term.starts_on == previous.ends_on + timedelta(days=1)
                assert year_at(anchor, term.starts_on, term_months) == year
                assert year_at(anchor, term.ends_on, term_months) == year
                previous = term
        assert year_at(anchor, anchor - timedelta(days=1)) is None
        anchor += timedelta(days=1)


@FAST
@given(ANCHORS, st.integers(min_value=0, max_value=8000), TERM_MONTHS)
def test_every_day_after_the_anchor_is_in_exactly_one_term(
    anchor: date, offset: int, term_months: int
) -> None:
    day = anchor + timedelta(days=offset)
    year = year_at(anchor, day, term_months)
    assert year is not None and year >= 1
    assert term_for_year(anchor, year, term_months).covers(day)
    if year > 1:
        assert not term_for_year(anchor, year - 1, term_months).covers(day)
    assert not term_for_year(anchor, year + 1, term_months).covers(day)


@FAST
@given(ANCHORS, st.integers(min_value=1, max_value=400))
def test_days_before_the_anchor_are_in_no_year(anchor: date, days_before: int) -> None:
    assert year_at(anchor, anchor - timedelta(days=days_before)) is None


@FAST
@given(ANCHORS, st.integers(min_value=1, max_value=60), TERM_MONTHS)
def test_consecutive_terms_are_contiguous_and_round_trip(
    anchor: date, year: int, term_months: int
) -> None:
    term = term_for_year(anchor, year, term_months)
    following = term_for_year(anchor, year + 1, term_months)
    assert following.starts_on == term.ends_on + timedelta(days=1)
    assert year_at(anchor, term.starts_on, term_months) == year
    assert year_at(anchor, term.ends_on, term_months) == year
    assert year_at(anchor, following.starts_on, term_months) == year + 1


@FAST
@given(ANCHORS, st.integers(min_value=1, max_value=60))
def test_yearly_terms_last_365_or_366_days_and_keep_the_anchor_day(anchor: date, year: int) -> None:
    term = term_for_year(anchor, year)
    assert (term.ends_on - term.starts_on).days + 1 in (365, 366)
    # No drift: the start keeps the anchor's day of month wherever that month has it.
    assert term.starts_on.month == anchor.month
    if (anchor.month, anchor.day) != (2, 29):
        assert term.starts_on.day == anchor.day


@pytest.mark.parametrize("anchor", [date(2023, 1, 31), date(2023, 1, 30), date(2024, 2, 29)])
@pytest.mark.parametrize("term_months", [1, 3, 6, 12])
def test_anchors_at_month_end_never_drift(anchor: date, term_months: int) -> None:
    """Each renewal starts on the anchor's day of month wherever that month has one."""
    for year in range(1, 49):
        starts = term_for_year(anchor, year, term_months).starts_on
        last = (add_months(starts.replace(day=1), 1) - timedelta(days=1)).day
        assert starts.day == min(anchor.day, last), (year, starts)


# --- pricing -------------------------------------------------------------------------------


def test_demo_prices_on_a_license_of_10_000() -> None:
    year_1 = price_for_year(BASIC, DEMO_LICENSE_PRICE, 1)
    assert year_1 == Decimal("1200.00")
    assert str(year_1) == "1200.00"  # cents, always two places
    for year in (2, 3, 10, 50):
        assert str(price_for_year(BASIC, DEMO_LICENSE_PRICE, year)) == "2000.00"
    upgrade = upgrade_price(BASIC, DEMO_LICENSE_PRICE)
    assert upgrade == Decimal("3000.00")
    assert str(upgrade) == "3000.00"


def test_prices_are_decimals() -> None:
    assert isinstance(price_for_year(BASIC, DEMO_LICENSE_PRICE, 1), Decimal)
    assert isinstance(upgrade_price(BASIC, DEMO_LICENSE_PRICE), Decimal)


def test_a_float_price_is_refused_not_silently_rounded() -> None:
    with pytest.raises(TypeError):
        price_for_year(BASIC, 10000.0, 1)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("license_price", "year", "expected"),
    [
        # 20% of 0.025 = 0.005 -> half-up gives 0.01 (banker's rounding would give 0.00).
        (Decimal("0.025"), 2, Decimal("0.01")),
        # 12% of 0.375 = 0.045 -> 0.05 (banker's: 0.04).
        (Decimal("0.375"), 1, Decimal("0.05")),
        # 12% of 0.125 = 0.015 -> 0.02.
        (Decimal("0.125"), 1, Decimal("0.02")),
        # 12% of 1234.56 = 148.1472 -> 148.15; 20% = 246.912 -> 246.91.
        (Decimal("1234.56"), 1, Decimal("148.15")),
        (Decimal("1234.56"), 2, Decimal("246.91")),
        # 12% of 99.99 = 11.9988 -> 12.00.
        (Decimal("99.99"), 1, Decimal("12.00")),
        # Just under half a cent rounds down: 20% of 0.0249 = 0.00498 -> 0.00.
        (Decimal("0.0249"), 2, Decimal("0.00")),
        (Decimal("0"), 1, Decimal("0.00")),
    ],
)
def test_rounding_is_half_up_to_cents(license_price: Decimal, year: int, expected: Decimal) -> None:
    price = price_for_year(BASIC, license_price, year)
    assert price == expected
    assert price.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("license_price", "expected"),
    [
        (Decimal("0.15"), Decimal("0.05")),  # 30% = 0.045 -> 0.05 (banker's: 0.04)
        (Decimal("0.05"), Decimal("0.02")),  # 0.015 -> 0.02
        (Decimal("12345.67"), Decimal("3703.70")),  # 3703.701
    ],
)
def test_upgrade_rounding_is_half_up(license_price: Decimal, expected: Decimal) -> None:
    assert upgrade_price(BASIC, license_price) == expected


def test_half_even_would_differ_so_the_rounding_mode_matters() -> None:
    # Guard that the cases above really distinguish the modes.
    assert Decimal("0.045").quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN) == Decimal("0.04")


def test_no_upgrade_price_without_an_upgrade_rule() -> None:
    rule = PricingRule(first_year_percent=Decimal("12"), later_years_percent=Decimal("20"))
    assert upgrade_price(rule, DEMO_LICENSE_PRICE) is None


@pytest.mark.parametrize("year", [0, -1])
def test_price_years_start_at_one(year: int) -> None:
    with pytest.raises(ValueError, match="start at 1"):
        price_for_year(BASIC, DEMO_LICENSE_PRICE, year)


def test_price_of_the_year_a_date_falls_in() -> None:
    """The demo agreement: 10 000, commenced 2026-09-23; year 2 starts 2027-09-23."""
    anchor = date(2026, 9, 23)

    def price_on(day: date) -> Decimal:
        year = year_at(anchor, day)
        assert year is not None
        return price_for_year(BASIC, DEMO_LICENSE_PRICE, year)

    assert price_on(date(2026, 9, 23)) == Decimal("1200.00")
    assert price_on(date(2027, 9, 22)) == Decimal("1200.00")
    assert price_on(date(2027, 9, 23)) == Decimal("2000.00")
    assert price_on(date(2031, 1, 1)) == Decimal("2000.00")


def _half_up_cents(amount: Fraction) -> Decimal:
    cents = floor(amount * 100 + Fraction(1, 2))
    return Decimal(cents) / 100


PRICES = st.decimals(
    min_value=Decimal("0"), max_value=Decimal("100000000"), places=2, allow_nan=False
)
PERCENTS = st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=2)


@FAST
@given(PRICES, PERCENTS, PERCENTS, st.integers(min_value=1, max_value=40))
def test_price_is_the_exact_percentage_rounded_half_up(
    license_price: Decimal, first: Decimal, later: Decimal, year: int
) -> None:
    rule = PricingRule(first, later, upgrade_percent=later)
    percent = first if year == 1 else later
    exact = Fraction(license_price) * Fraction(percent) / 100
    price = price_for_year(rule, license_price, year)
    assert price == _half_up_cents(exact)
    assert price.as_tuple().exponent == -2
    assert abs(Fraction(price) - exact) <= Fraction(1, 200)
    assert upgrade_price(rule, license_price) == _half_up_cents(
        Fraction(license_price) * Fraction(later) / 100
    )


@FAST
@given(PRICES, st.integers(min_value=2, max_value=40))
def test_basic_later_years_all_cost_the_same_and_more_than_year_one(
    license_price: Decimal, year: int
) -> None:
    later = price_for_year(BASIC, license_price, year)
    assert later == price_for_year(BASIC, license_price, 2)
    assert later >= price_for_year(BASIC, license_price, 1)
