"""SLA clocks computed from a case's event history: pure, no I/O.

The same function serves live tickets and ``slaSimulate``: given the policy snapshot,
the calendar, the priority at receipt, when the case arrived and what happened since,
it returns every clock with its due time, whether it breached, and the steps that
explain why it is due when it is.

Rules (docs/domain.md section 3, seeds 000-003):

- FIRST_RESPONSE runs from receipt to the first public, human staff reply. Automated
  messages and internal notes never stop a clock.
- NEXT_RESPONSE: once the first response is given, a customer message that awaits an
  answer starts a cycle (unless one is running); the next public human staff reply
  stops it. Each cycle is its own clock, oldest first.
- RESOLUTION runs from receipt to CLOSED, paused while PENDING. Reopening (leaving
  CLOSED) resumes it; the time it spent closed does not count.
- Closing a case also stops its running response clocks: nobody owes an answer on a
  closed case.
- A business-time clock that starts outside service hours starts at the next service
  minute; a calendar-time clock starts at once. Pauses are measured in the clock's own
  basis (business minutes for a business target).
- The target is the policy's first matching one for the metric, the priority and
  where the clock starts (window targets are matched at the instant that starts the
  clock: receipt or the customer's message). No matching target, no clock.
- A priority change recomputes the due time of every running clock from its original
  start with the new priority's target. A breach that had already happened under the
  earlier priority stands: reclassifying a case cannot undo a missed commitment.
- breached: stopped after the due time, or still running with ``as_of`` past it.

The words of each explanation step are in :mod:`tickets.sla.explain`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from careplane_shared.sla_policy import WEEKDAYS, SlaMetric, SlaPolicy, TargetSpec, WindowSpec
from careplane_shared.sla_policy import clock_minutes as _clock_minutes
from tickets.sla.calendar import BusinessCalendar
from tickets.sla.explain import duration_text, pause_text, target_text
from tickets.sla.model import (
    SlaClock,
    SlaEvent,
    SlaEventKind,
    SlaPause,
    TicketStatus,
    as_utc,
)
from tickets.sla.replay import History, Run

__all__ = [
    "SlaClock",
    "SlaEvent",
    "SlaEventKind",
    "SlaPause",
    "TicketStatus",
    "compute_clocks",
    "select_target",
    "warning_at",
]

_MINUTE = timedelta(minutes=1)


def select_target(
    policy: SlaPolicy,
    metric: SlaMetric,
    priority: str,
    started_at: datetime,
    *,
    scheduled_visit: bool = False,
) -> TargetSpec | None:
    """The first target in policy order for ``metric`` and ``priority`` whose window
    contains ``started_at``; None when the policy commits to nothing for it."""
    return _select(policy, metric, priority, started_at, scheduled_visit)[0]


def compute_clocks(
    policy: SlaPolicy,
    calendar: BusinessCalendar,
    *,
    priority: str,
    received_at: datetime,
    events: Sequence[SlaEvent],
    as_of: datetime,
    scheduled_visit: bool = False,
) -> list[SlaClock]:
    """Every SLA clock of a case as of ``as_of``: first response, each next-response
    cycle oldest first, then resolution; metrics without a target are left out.

    ``calendar`` is the business calendar of the policy's resolved calendar.
    ``events`` are ordered by time; events at the same instant keep the given order
    (a reopen listed before the customer reply it came with counts first). Events after
    ``as_of`` are ignored, so a clock can be replayed as it stood at any moment.
    ``scheduled_visit`` marks a case raised during a scheduled customer visit.
    """
    received = as_utc(received_at, "received_at")
    now = as_utc(as_of, "as_of")
    if now < received:
        raise ValueError("as_of precedes received_at")
    if priority not in policy.priorities:
        raise ValueError(f"priority {priority!r} is not one of {policy.priorities}")
    timeline = sorted(events, key=lambda event: as_utc(event.at, "event"))
    history = History.replay(policy, calendar, priority, received, timeline, now)
    context = _Context(policy, calendar, now, scheduled_visit)
    clocks = [
        clock
        for run in (history.first_response, *history.next_responses, history.resolution)
        if (clock := context.evaluate(run)) is not None
    ]
    return clocks


def warning_at(clock: SlaClock, fraction: float, *, calendar: BusinessCalendar) -> datetime | None:
    """The instant at which ``fraction`` of the clock's target has elapsed.

    Counted like the due time: from the clock's start, in its own basis (business or
    calendar time), skipping its pauses. ``fraction`` 1 gives the due time. None when
    the clock has stopped, or is paused before reaching that point (the instant then
    depends on when it resumes).
    """
    if not fraction > 0:
        raise ValueError("the warning fraction must be positive")
    if clock.stopped_at is not None:
        return None
    amount = timedelta(minutes=clock.target_minutes) * fraction
    return _elapse(calendar, clock.business_time, clock.started_at, clock.pauses, amount)


# -- replaying the history ----------------------------------------------------------------
# -- applying targets ---------------------------------------------------------------------


@dataclass(slots=True)
class _Context:
    policy: SlaPolicy
    calendar: BusinessCalendar
    now: datetime
    scheduled_visit: bool

    def evaluate(self, run: Run) -> SlaClock | None:
        final_priority = run.priorities[-1][1]
        target, skipped = _select(
            self.policy, run.metric, final_priority, run.trigger, self.scheduled_visit
        )
        if target is None:
            return None
        calendar = self.calendar
        describe = calendar.describe
        business = target.business_time
        basis = "business" if business else "calendar"
        started = calendar.next_open(run.trigger) if business else run.trigger
        pauses = _clip_pauses(run.pauses, started)
        amount = target.minutes * _MINUTE
        due = _elapse(calendar, business, started, pauses, amount)

        lines = [target_text(run.metric, final_priority, target, skipped)]
        if not business:
            lines.append(
                f"{run.trigger_text} {describe(run.trigger)}; calendar time, every minute counts"
            )
        elif started == run.trigger:
            lines.append(
                f"{run.trigger_text} {describe(run.trigger)} during service hours; "
                "the clock starts at once"
            )
        else:
            lines.append(
                f"{run.trigger_text} {describe(run.trigger)} outside service hours; "
                f"the clock starts {describe(started)}"
            )

        breach_candidates: list[datetime] = []
        for (_, previous), (changed_at, current) in pairwise(run.priorities):
            lines.append(
                f"priority changed from {previous} to {current} at {describe(changed_at)}: "
                "due time recomputed from the original start"
            )
            earlier = select_target(
                self.policy,
                run.metric,
                previous,
                run.trigger,
                scheduled_visit=self.scheduled_visit,
            )
            if earlier is None:
                continue
            earlier_start = (
                calendar.next_open(run.trigger) if earlier.business_time else run.trigger
            )
            earlier_due = _elapse(
                calendar,
                earlier.business_time,
                earlier_start,
                _clip_pauses(run.pauses, earlier_start),
                earlier.minutes * _MINUTE,
            )
            if earlier_due is not None and earlier_due < changed_at:
                breach_candidates.append(earlier_due)
                lines.append(
                    f"it had already breached at {describe(earlier_due)} under priority "
                    f"{previous}; the breach stands"
                )
        lines.extend(run.notes)

        limit = run.stopped_at or self.now
        paused = timedelta(0)
        for pause in pauses:
            pause_end = pause.end if pause.end is not None and pause.end < limit else limit
            # A clock that starts in the future (outside hours, as of now) has paused nothing yet.
            span = (
                _elapsed(calendar, business, pause.start, pause_end)
                if pause_end > pause.start
                else timedelta(0)
            )
            paused += span
            lines.append(pause_text(pause, span, basis, describe))

        earlier_breach = bool(breach_candidates)
        if due is None:
            lines.append("no due time while paused: it moves until the clock resumes")
        else:
            lines.append(f"due {describe(due)}")
            if (run.stopped_at or self.now) > due:
                breach_candidates.append(due)
        lines.extend(self._outcome(run, started, due, earlier_breach))

        return SlaClock(
            metric=run.metric,
            cycle=run.cycle,
            priority=final_priority,
            target_minutes=target.minutes,
            business_time=business,
            started_at=started,
            due_at=due,
            stopped_at=run.stopped_at,
            paused_minutes=paused // _MINUTE,
            breached=bool(breach_candidates),
            breached_at=min(breach_candidates) if breach_candidates else None,
            pauses=tuple(pauses),
            explanation=tuple(lines),
        )

    def _outcome(
        self, run: Run, started: datetime, due: datetime | None, earlier_breach: bool
    ) -> list[str]:
        describe = self.calendar.describe
        lines = []
        if run.stopped_at is not None:
            stop_line = f"stopped {describe(run.stopped_at)}: {run.stop_text}"
            if run.stopped_at < started:
                stop_line += ", before the clock started"
            lines.append(stop_line)
        end = run.stopped_at or self.now
        if due is None:
            if earlier_breach:
                lines.append("breached earlier, under the previous priority")
        elif end > due:
            late = duration_text(end - due, days=True)
            if run.stopped_at is not None:
                lines.append(f"breached: stopped {late} after due")
            else:
                lines.append(f"breached: still running {late} past due as of {describe(self.now)}")
        elif earlier_breach:
            lines.append("within the recomputed due time, but the earlier breach stands")
        elif run.stopped_at is not None:
            lines.append(f"met with {duration_text(due - run.stopped_at, days=True)} to spare")
        else:
            left = duration_text(due - self.now, days=True)
            lines.append(f"running: due in {left} as of {describe(self.now)}")
        return lines


def _select(
    policy: SlaPolicy,
    metric: SlaMetric,
    priority: str,
    started_at: datetime,
    scheduled_visit: bool,
) -> tuple[TargetSpec | None, list[WindowSpec]]:
    """The matching target and the windows passed over because the clock started
    outside them (they explain why a fallback target applies)."""
    skipped: list[WindowSpec] = []
    for target in policy.targets:
        if target.metric is not metric:
            continue
        if target.priorities is not None and priority not in target.priorities:
            continue
        if target.scheduled_visit and not scheduled_visit:
            continue
        if target.window is not None and not _in_window(target.window, started_at):
            skipped.append(target.window)
            continue
        return target, skipped
    return None, skipped


def _in_window(window: WindowSpec, at: datetime) -> bool:
    local = at.astimezone(ZoneInfo(window.timezone))
    if WEEKDAYS[local.weekday()] not in window.days:
        return False
    # Window bounds are whole minutes, so the minute an instant falls in decides.
    minute = local.hour * 60 + local.minute
    return _clock_minutes(window.start) <= minute < _clock_minutes(window.end)


def _clip_pauses(pauses: Sequence[SlaPause], started: datetime) -> list[SlaPause]:
    """Pauses as they affect a clock that starts at ``started``: what lies before the
    start (a business clock waiting for opening hours) does not count twice."""
    clipped = []
    for pause in pauses:
        if pause.end is not None and pause.end <= started:
            continue
        if pause.start < started:
            pause = SlaPause(started, pause.end, pause.reason)
        clipped.append(pause)
    return clipped


def _elapsed(
    calendar: BusinessCalendar, business: bool, start: datetime, end: datetime
) -> timedelta:
    if business:
        return calendar.business_time_between(start, end)
    return end - start


def _elapse(
    calendar: BusinessCalendar,
    business: bool,
    start: datetime,
    pauses: Sequence[SlaPause],
    amount: timedelta,
) -> datetime | None:
    """The instant at which ``amount`` of clock time has run since ``start``, skipping
    ``pauses``; None when an unfinished pause comes first."""
    remaining, cursor = amount, start
    for pause in pauses:
        span = _elapsed(calendar, business, cursor, pause.start)
        if span >= remaining:
            break
        remaining -= span
        if pause.end is None:
            return None
        cursor = pause.end
    if business:
        return calendar.add_business_time(cursor, remaining)
    return cursor + remaining
