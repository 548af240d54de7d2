"""Replaying a case's history into its clocks' runs: when each started, paused, stopped
and which priority applied, before any target is applied (that is
:mod:`tickets.sla.clocks`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from careplane_shared.sla_policy import SlaMetric, SlaPolicy
from tickets.sla.calendar import BusinessCalendar
from tickets.sla.model import SlaEvent, SlaEventKind, SlaPause, TicketStatus, as_utc


@dataclass(slots=True)
class Run:
    """A clock while the history is replayed, before targets are applied."""

    metric: SlaMetric
    cycle: int
    trigger: datetime
    trigger_text: str
    # (instant, priority): the priority at the start and each change while running.
    priorities: list[tuple[datetime, str]]
    stopped_at: datetime | None = None
    stop_text: str = ""
    pauses: list[SlaPause] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def running(self) -> bool:
        return self.stopped_at is None

    def stop(self, at: datetime, why: str) -> None:
        self.end_pause(at)
        self.stopped_at, self.stop_text = at, why

    def start_pause(self, at: datetime, reason: str) -> None:
        self.pauses.append(SlaPause(at, None, reason))

    def end_pause(self, at: datetime) -> None:
        if self.pauses and self.pauses[-1].end is None:
            last = self.pauses[-1]
            self.pauses[-1] = SlaPause(last.start, at, last.reason)

    def reopen(self, at: datetime, priority: str) -> None:
        assert self.stopped_at is not None
        self.pauses.append(SlaPause(self.stopped_at, at, TicketStatus.CLOSED.value))
        self.stopped_at, self.stop_text = None, ""
        if self.priorities[-1][1] != priority:
            self.priorities.append((at, priority))


@dataclass(slots=True)
class History:
    first_response: Run
    resolution: Run
    next_responses: list[Run]

    @classmethod
    def replay(
        cls,
        policy: SlaPolicy,
        calendar: BusinessCalendar,
        priority: str,
        received: datetime,
        timeline: Sequence[SlaEvent],
        now: datetime,
    ) -> History:
        first = Run(SlaMetric.FIRST_RESPONSE, 1, received, "received", [(received, priority)])
        resolution = Run(SlaMetric.RESOLUTION, 1, received, "received", [(received, priority)])
        history = cls(first, resolution, [])
        awaiting: Run | None = None
        status = TicketStatus.NEW
        for event in timeline:
            at = as_utc(event.at, "event")
            if at < received:
                raise ValueError(f"{event.kind} event at {at.isoformat()} precedes receipt")
            if at > now:
                break
            if event.kind is SlaEventKind.STAFF_REPLY:
                if event.automated or event.internal:
                    what = "an automated message" if event.automated else "an internal note"
                    note = f"{what} at {calendar.describe(at)} does not count as a response"
                    for run in (first, awaiting):
                        if run is not None and run.running:
                            run.notes.append(note)
                    continue
                if first.running:
                    first.stop(at, "first public staff reply")
                if awaiting is not None:
                    awaiting.stop(at, "public staff reply")
                    awaiting = None
            elif event.kind is SlaEventKind.CUSTOMER_REPLY:
                # A message answers nothing new while the first response is still owed,
                # and a message on a closed case awaits no answer unless it reopens it.
                if event.automated or status is TicketStatus.CLOSED or first.running:
                    continue
                if awaiting is None:
                    cycle = len(history.next_responses) + 1
                    awaiting = Run(
                        SlaMetric.NEXT_RESPONSE, cycle, at, "customer replied", [(at, priority)]
                    )
                    history.next_responses.append(awaiting)
            elif event.kind is SlaEventKind.STATUS_CHANGE:
                assert event.status is not None
                new_status = event.status
                if new_status is status:
                    continue
                if new_status is TicketStatus.CLOSED:
                    for run in (first, awaiting):
                        if run is not None and run.running:
                            run.stop(at, "case closed")
                    awaiting = None
                    resolution.stop(at, "case closed")
                elif status is TicketStatus.CLOSED:
                    resolution.reopen(at, priority)
                    if new_status is TicketStatus.PENDING:
                        resolution.start_pause(at, TicketStatus.PENDING.value)
                elif new_status is TicketStatus.PENDING:
                    resolution.start_pause(at, TicketStatus.PENDING.value)
                elif status is TicketStatus.PENDING:
                    resolution.end_pause(at)
                status = new_status
            elif event.kind is SlaEventKind.PRIORITY_CHANGE:
                assert event.priority is not None
                if event.priority not in policy.priorities:
                    raise ValueError(
                        f"priority {event.priority!r} is not one of {policy.priorities}"
                    )
                if event.priority == priority:
                    continue
                priority = event.priority
                for run in (first, awaiting, resolution):
                    if run is not None and run.running:
                        run.priorities.append((at, priority))
        return history
