"""The on-call rota, pure: who is on call for a support center at an instant, and the
rota laid out on the center's own calendar days (its timezone, from contracts).

Shifts are instants (UTC in the database); a shift covers ``starts_at`` (included) to
``ends_at`` (excluded). Several people may be on call at once: every one of them is
alerted. A local day is the center's midnight to midnight, so a day of a daylight-saving
change has 23 or 25 hours.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class Shift:
    support_center: str
    staff_email: str
    starts_at: datetime
    ends_at: datetime
    ref: uuid.UUID | None = None  # the stored shift's id


def covers(shift: Shift, at: datetime) -> bool:
    return shift.starts_at <= at < shift.ends_at


def on_call_at(shifts: Iterable[Shift], support_center: str | None, at: datetime) -> list[str]:
    """The staff addresses on call for ``support_center`` at ``at``, each once, in the
    order their shifts started (``None``: every center's)."""
    seen: dict[str, datetime] = {}
    for shift in shifts:
        if support_center is not None and shift.support_center != support_center:
            continue
        if covers(shift, at) and shift.staff_email not in seen:
            seen[shift.staff_email] = shift.starts_at
    return sorted(seen, key=lambda email: (seen[email], email))


@dataclass(frozen=True, slots=True)
class Day:
    day: date
    starts_at: datetime
    ends_at: datetime
    shifts: list[Shift]
    uncovered_minutes: int


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The center's local day as instants (UTC: arithmetic between two times of one zone
    would be wall-clock time): local midnight to the next local midnight."""
    start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return start, end


def calendar_days(shifts: Sequence[Shift], timezone: str, first: date, days: int) -> list[Day]:
    """``days`` local days from ``first``: the shifts that touch each, and how many
    minutes of it nobody is on call."""
    tz = ZoneInfo(timezone)
    out: list[Day] = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        start, end = day_bounds(day, tz)
        touching = sorted(
            (s for s in shifts if s.starts_at < end and s.ends_at > start),
            key=lambda s: (s.starts_at, s.staff_email),
        )
        out.append(Day(day, start, end, touching, _uncovered_minutes(touching, start, end)))
    return out


def _uncovered_minutes(shifts: Sequence[Shift], start: datetime, end: datetime) -> int:
    """Minutes of [start, end) no shift covers (shifts sorted by start)."""
    gap = timedelta()
    cursor = start
    for shift in shifts:
        if shift.starts_at > cursor:
            gap += min(shift.starts_at, end) - cursor
        cursor = max(cursor, shift.ends_at)
        if cursor >= end:
            break
    if cursor < end:
        gap += end - cursor
    return int(gap.total_seconds() // 60)
