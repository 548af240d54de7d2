"""When a non-urgent staff mail may go: the pure rules, with the clock passed in.

Quiet hours are a daily span of local wall-clock time in the policy's timezone (it may run
past midnight, 22:00 to 07:00); mail that arrives inside them waits for their end. With a
digest interval, mail outside quiet hours waits for the next interval boundary, counted from
local midnight (every 60 minutes: on the hour), and a boundary inside quiet hours moves to
their end. Everything held until the same moment goes out as one digest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

MINUTES_A_DAY = 24 * 60


@dataclass(frozen=True, slots=True)
class DigestPolicy:
    timezone: str = "UTC"
    quiet_start: time | None = None
    quiet_end: time | None = None
    # 0: no digest; outside quiet hours mail goes at once.
    digest_minutes: int = 0

    @property
    def has_quiet_hours(self) -> bool:
        return (
            self.quiet_start is not None
            and self.quiet_end is not None
            and self.quiet_start != self.quiet_end
        )

    @property
    def holds_anything(self) -> bool:
        return self.has_quiet_hours or self.digest_minutes > 0


def _local(now: datetime, zone: ZoneInfo) -> datetime:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(zone)


def _at(day: datetime, wall: time, zone: ZoneInfo) -> datetime:
    """The wall-clock time on that local day, as an aware datetime (a time skipped by a DST
    change lands just after the gap, as zoneinfo resolves it)."""
    naive = datetime.combine(day.date(), wall)
    return naive.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)


def in_quiet_hours(policy: DigestPolicy, now: datetime) -> bool:
    if not policy.has_quiet_hours:
        return False
    assert policy.quiet_start is not None and policy.quiet_end is not None
    wall = _local(now, ZoneInfo(policy.timezone)).time().replace(tzinfo=None)
    start, end = policy.quiet_start, policy.quiet_end
    if start < end:
        return start <= wall < end
    return wall >= start or wall < end


def quiet_hours_end(policy: DigestPolicy, now: datetime) -> datetime:
    """The first end of quiet hours after ``now`` (in UTC)."""
    assert policy.quiet_end is not None
    zone = ZoneInfo(policy.timezone)
    local = _local(now, zone)
    for days in range(3):
        candidate = _at(local + timedelta(days=days), policy.quiet_end, zone)
        if candidate > local:
            return candidate.astimezone(UTC)
    raise AssertionError("unreachable: a quiet end within three days")


def next_boundary(policy: DigestPolicy, now: datetime) -> datetime:
    """The first digest boundary after ``now`` (in UTC), counted from local midnight."""
    zone = ZoneInfo(policy.timezone)
    local = _local(now, zone)
    midnight = _at(local, time(0, 0), zone)
    elapsed = (local - midnight).total_seconds() / 60
    step = policy.digest_minutes
    slot = int(elapsed // step) + 1
    minutes = slot * step
    if minutes >= MINUTES_A_DAY:
        return _at(local + timedelta(days=1), time(0, 0), zone).astimezone(UTC)
    # Wall-clock arithmetic: on a DST day the boundary stays "on the hour" locally.
    wall = (datetime.min + timedelta(minutes=minutes)).time()
    return _at(local, wall, zone).astimezone(UTC)


def release_at(policy: DigestPolicy, now: datetime) -> datetime | None:
    """When a non-urgent staff mail arriving at ``now`` may go; None for at once."""
    if in_quiet_hours(policy, now):
        return quiet_hours_end(policy, now)
    if policy.digest_minutes <= 0:
        return None
    boundary = next_boundary(policy, now)
    if in_quiet_hours(policy, boundary):
        return quiet_hours_end(policy, boundary)
    return boundary
