"""SLA attainment: how a set of clocks did against their commitments. Pure.

Both views the seeds ask for: the share of clocks met within target (seed 000: "90% of
cases within 2 hours") and the average time taken against the average commitment
(seed 001: response times as an average against the commitment).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tickets.sla.calendar import BusinessCalendar
from tickets.sla.model import SlaClock


@dataclass(slots=True)
class MetricAttainment:
    metric: str
    total: int = 0
    within_target: int = 0
    breached: int = 0
    running: int = 0
    _taken: list[float] = field(default_factory=list)
    _targets: list[int] = field(default_factory=list)

    @property
    def percent_within(self) -> float | None:
        decided = self.within_target + self.breached
        return round(100 * self.within_target / decided, 2) if decided else None

    @property
    def average_minutes(self) -> float | None:
        return round(sum(self._taken) / len(self._taken), 1) if self._taken else None

    @property
    def average_target_minutes(self) -> float | None:
        return round(sum(self._targets) / len(self._targets), 1) if self._targets else None


def minutes_taken(clock: SlaClock, calendar: BusinessCalendar, until: datetime) -> float:
    """Time the clock ran, in its own basis, without its pauses."""
    end = clock.stopped_at or until
    if clock.business_time:
        ran = calendar.business_time_between(clock.started_at, end)
    else:
        ran = max(end - clock.started_at, timedelta(0))
    return max(ran.total_seconds() / 60 - clock.paused_minutes, 0.0)


def attainment(
    clocks: Iterable[tuple[SlaClock, BusinessCalendar]], as_of: datetime
) -> list[MetricAttainment]:
    """Per metric: a stopped clock counts as met or breached; a running one counts as
    breached once past due, otherwise as still running (not yet decided)."""
    by_metric: dict[str, MetricAttainment] = {}
    for clock, calendar in clocks:
        row = by_metric.setdefault(clock.metric.value, MetricAttainment(clock.metric.value))
        row.total += 1
        if clock.breached:
            row.breached += 1
        elif clock.stopped_at is not None:
            row.within_target += 1
        else:
            row.running += 1
            continue
        row._taken.append(minutes_taken(clock, calendar, as_of))
        row._targets.append(clock.target_minutes)
    order = {"FIRST_RESPONSE": 0, "NEXT_RESPONSE": 1, "RESOLUTION": 2}
    return sorted(by_metric.values(), key=lambda r: order.get(r.metric, 9))
