"""The SLA engine's vocabulary: what happens to a case (events, statuses), the pauses of
a clock and the clocks themselves. Plain values, no behaviour beyond their checks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from careplane_shared.sla_policy import SlaMetric


class SlaEventKind(StrEnum):
    STAFF_REPLY = "STAFF_REPLY"
    CUSTOMER_REPLY = "CUSTOMER_REPLY"
    STATUS_CHANGE = "STATUS_CHANGE"
    PRIORITY_CHANGE = "PRIORITY_CHANGE"


class TicketStatus(StrEnum):
    NEW = "NEW"
    OPEN = "OPEN"
    WORKING = "WORKING"
    PENDING = "PENDING"
    ESCALATED = "ESCALATED"
    WITH_DEVELOPMENT = "WITH_DEVELOPMENT"
    CLOSED = "CLOSED"


@dataclass(frozen=True, slots=True)
class SlaEvent:
    """Something that happened to a case and may move its clocks.

    ``status`` is required for STATUS_CHANGE (the new status), ``priority`` for
    PRIORITY_CHANGE (the new priority). ``automated`` and ``internal`` mark messages
    that never count as a response.
    """

    at: datetime
    kind: SlaEventKind
    status: TicketStatus | None = None
    priority: str | None = None
    automated: bool = False
    internal: bool = False

    def __post_init__(self) -> None:
        # Accept the plain strings of the API (``"STAFF_REPLY"``) as well as the enums.
        object.__setattr__(self, "kind", SlaEventKind(self.kind))
        if self.status is not None:
            object.__setattr__(self, "status", TicketStatus(self.status))
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise ValueError(f"event at naive datetime {self.at.isoformat()}")
        if self.kind is SlaEventKind.STATUS_CHANGE and self.status is None:
            raise ValueError("a STATUS_CHANGE event needs the new status")
        if self.kind is SlaEventKind.PRIORITY_CHANGE and not self.priority:
            raise ValueError("a PRIORITY_CHANGE event needs the new priority")


@dataclass(frozen=True, slots=True)
class SlaPause:
    """A period that does not count toward a clock: ``reason`` PENDING or CLOSED.

    ``end`` is None while the pause lasts (as of the computation).
    """

    start: datetime
    end: datetime | None
    reason: str


@dataclass(frozen=True, slots=True)
class SlaClock:
    """One clock of a case, as of the instant it was computed.

    ``due_at`` is None only while the clock is paused before its target was reached:
    the due time depends on when it resumes. ``breached_at`` is when the clock went
    past due (the earliest such instant, kept across priority changes).
    """

    metric: SlaMetric
    cycle: int
    priority: str
    target_minutes: int
    business_time: bool
    started_at: datetime
    due_at: datetime | None
    stopped_at: datetime | None
    paused_minutes: int
    breached: bool
    breached_at: datetime | None
    pauses: tuple[SlaPause, ...]
    explanation: tuple[str, ...]

    @property
    def running(self) -> bool:
        return self.stopped_at is None

    @property
    def paused(self) -> bool:
        return self.stopped_at is None and bool(self.pauses) and self.pauses[-1].end is None


def as_utc(at: datetime, what: str) -> datetime:
    """``at`` in UTC; a naive datetime (``what`` names it) is refused."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{what} is a naive datetime; the SLA engine needs aware datetimes")
    return at.astimezone(UTC)
