"""The scheduled-visit rules, pure (seed 001: "schedule customer visits with us at least
two days in advance"; "connecting you with a technician within 15 minutes").

- A visit is booked (staff) or requested and then confirmed (customer, then staff) at
  least :data:`MIN_LEAD` before it starts: the check runs at each of those moments, so a
  request confirmed too late is refused too (``VISIT_TOO_SOON``).
- A visit lasts at most :data:`MAX_LENGTH` and ends after it starts.
- A visit *runs* from ``starts_at`` (included) to ``ends_at`` (excluded); only a
  CONFIRMED one gives its customer's new cases the visit target.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

MIN_LEAD = timedelta(hours=48)
MAX_LENGTH = timedelta(days=14)
SERVICE = "scheduled_visits"


class VisitStatus(StrEnum):
    REQUESTED = "REQUESTED"
    CONFIRMED = "CONFIRMED"
    CANCELLED = "CANCELLED"


class VisitRuleError(ValueError):
    """A broken rule, with its stable code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def check_window(starts_at: datetime, ends_at: datetime) -> None:
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise VisitRuleError("VISIT_WINDOW_INVALID", "starts_at and ends_at need a time zone.")
    if ends_at <= starts_at:
        raise VisitRuleError("VISIT_WINDOW_INVALID", "A visit ends after it starts.")
    if ends_at - starts_at > MAX_LENGTH:
        raise VisitRuleError("VISIT_WINDOW_INVALID", "A visit lasts at most 14 days.")


def lead_time_ok(starts_at: datetime, at: datetime) -> bool:
    """Whether a visit starting at ``starts_at`` may be booked or confirmed at ``at``."""
    return starts_at - at >= MIN_LEAD


def check_lead_time(starts_at: datetime, at: datetime) -> None:
    if not lead_time_ok(starts_at, at):
        raise VisitRuleError(
            "VISIT_TOO_SOON",
            "A visit is booked and confirmed at least 48 hours before it starts.",
        )


@dataclass(frozen=True, slots=True)
class Window:
    starts_at: datetime
    ends_at: datetime
    status: str


def runs_at(window: Window, at: datetime) -> bool:
    """A confirmed visit running at ``at``."""
    return window.status == VisitStatus.CONFIRMED and window.starts_at <= at < window.ends_at


def overlaps(a: Window, b: Window) -> bool:
    return a.starts_at < b.ends_at and b.starts_at < a.ends_at


def first_overlap(window: Window, others: Iterable[Window]) -> Window | None:
    """Another live (not cancelled) visit of the same customer that overlaps ``window``."""
    return next(
        (o for o in others if o.status != VisitStatus.CANCELLED and overlaps(window, o)), None
    )
