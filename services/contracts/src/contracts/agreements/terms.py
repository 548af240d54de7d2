"""Agreement terms and pricing (docs/domain.md section 1, seeds 000 and 003): pure, no I/O.

An agreement year runs from its commencement for ``term_months`` (12 by default); the
last covered day is the day before the next year's commencement. Renewals anchor to
the first commencement so month ends do not drift (Jan 31 -> Feb 28 -> Mar 31, not Mar 28).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from careplane_shared.dates import add_months

CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Term:
    year: int
    starts_on: date
    ends_on: date  # last covered day, inclusive

    def covers(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


def term_for_year(anchor: date, year: int, term_months: int = 12) -> Term:
    """The ``year``-th term (1-based) of an agreement that first commenced on ``anchor``."""
    if year < 1:
        raise ValueError("agreement years start at 1")
    if term_months < 1:
        raise ValueError("a term lasts at least one month")
    starts = add_months(anchor, term_months * (year - 1))
    next_start = add_months(anchor, term_months * year)
    return Term(year, starts, next_start - timedelta(days=1))


def year_at(anchor: date, day: date, term_months: int = 12) -> int | None:
    """Which agreement year covers ``day`` (None before the first commencement)."""
    if term_months < 1:
        raise ValueError("a term lasts at least one month")
    if day < anchor:
        return None
    months = (day.year - anchor.year) * 12 + (day.month - anchor.month)
    year = max(months // term_months + 1, 1)
    # The month estimate can be one term ahead when the day-of-month has not come yet.
    while not term_for_year(anchor, year, term_months).covers(day):
        year += -1 if term_for_year(anchor, year, term_months).starts_on > day else 1
    return year


@dataclass(frozen=True, slots=True)
class PricingRule:
    """Percentages of the license price (seed 003: Basic 12% in year 1, 20% later; 30% upgrade)."""

    first_year_percent: Decimal
    later_years_percent: Decimal
    upgrade_percent: Decimal | None = None


def _percent_of(amount: Decimal, percent: Decimal) -> Decimal:
    return (amount * percent / Decimal(100)).quantize(CENT, rounding=ROUND_HALF_UP)


def price_for_year(rule: PricingRule, license_price: Decimal, year: int) -> Decimal:
    if year < 1:
        raise ValueError("agreement years start at 1")
    percent = rule.first_year_percent if year == 1 else rule.later_years_percent
    return _percent_of(license_price, percent)


def upgrade_price(rule: PricingRule, license_price: Decimal) -> Decimal | None:
    if rule.upgrade_percent is None:
        return None
    return _percent_of(license_price, rule.upgrade_percent)
