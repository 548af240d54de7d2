"""The words of an SLA clock's explanation: its target, its windows, its pauses and spans
of time, as :func:`tickets.sla.clocks.compute_clocks` lists them step by step."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from careplane_shared.sla_policy import WEEKDAYS, SlaMetric, TargetSpec, WindowSpec
from tickets.sla.model import SlaPause, TicketStatus

_MINUTE = timedelta(minutes=1)


def target_text(
    metric: SlaMetric, priority: str, target: TargetSpec, skipped: Sequence[WindowSpec]
) -> str:
    basis = "business" if target.business_time else "calendar"
    text = (
        f"{metric.value} target for priority {priority}: {target.minutes} {basis} minutes "
        f"({duration_text(target.minutes * _MINUTE)})"
    )
    if target.scheduled_visit:
        text += " during a scheduled customer visit"
    if target.window is not None:
        text += f"; the clock started inside {window_text(target.window)}"
    elif skipped:
        text += f"; the clock started outside {window_text(skipped[0])}"
    return text


def window_text(window: WindowSpec) -> str:
    indexes = sorted(WEEKDAYS.index(day) for day in window.days)
    names = [WEEKDAYS[index].capitalize() for index in indexes]
    consecutive = indexes == list(range(indexes[0], indexes[0] + len(indexes)))
    days = f"{names[0]}-{names[-1]}" if consecutive and len(names) > 2 else ",".join(names)
    return f"{days} {window.start}-{window.end} {window.timezone}"


def pause_text(
    pause: SlaPause, span: timedelta, basis: str, describe: Callable[[datetime], str]
) -> str:
    amount = f"{duration_text(span)} of {basis} time"
    if pause.reason == TicketStatus.CLOSED.value:
        assert pause.end is not None
        return (
            f"closed {describe(pause.start)} and reopened {describe(pause.end)}: "
            f"the {amount} in between does not count"
        )
    if pause.end is None:
        return f"paused since {describe(pause.start)} while {pause.reason} ({amount} so far)"
    return (
        f"paused {describe(pause.start)} to {describe(pause.end)} while {pause.reason} ({amount})"
    )


def duration_text(duration: timedelta, *, days: bool = False) -> str:
    """``2h 30m``; with ``days`` (real time only: a business day has no fixed length)
    ``3d 2h``."""
    minutes = duration // _MINUTE
    hours, minutes = divmod(minutes, 60)
    parts = []
    if days and hours >= 24:
        whole_days, hours = divmod(hours, 24)
        parts.append(f"{whole_days}d")
    if hours:
        parts.append(f"{hours}h")
    if minutes or not parts:
        parts.append(f"{minutes}m")
    return " ".join(parts)
