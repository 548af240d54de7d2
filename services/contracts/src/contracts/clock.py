from __future__ import annotations

from datetime import UTC, date, datetime


def today() -> date:
    """The current date in UTC: lifecycle and agreement rules are day-based."""
    return datetime.now(UTC).date()
