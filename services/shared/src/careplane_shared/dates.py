"""Month arithmetic on dates, shared by the services that plan by calendar month
(contracts' terms and lifecycle dates, notify's announcements six months ahead)."""

from __future__ import annotations

import calendar
from datetime import date


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months (``months`` may be negative), clamped to the target
    month's last day (Jan 31 + 1 month = Feb 28 or 29; Feb 29 + 12 months = Feb 28)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))
