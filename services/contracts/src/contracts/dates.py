"""Calendar arithmetic on dates: years that respect leap days, on top of the shared month
arithmetic (:func:`careplane_shared.dates.add_months`)."""

from __future__ import annotations

from datetime import date

from careplane_shared.dates import add_months

__all__ = ["add_months", "add_years"]


def add_years(day: date, years: int) -> date:
    """``day`` moved by whole years; Feb 29 lands on Feb 28 in a year without one."""
    return add_months(day, 12 * years)
