"""When to try again: the Standard Webhooks retry schedule, jitter, and Retry-After."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

# Delay before each attempt: the first at once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
# 14 h, 20 h and 24 h. After the last one a delivery is dead.
RETRY_SCHEDULE: tuple[timedelta, ...] = (
    timedelta(0),
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=14),
    timedelta(hours=20),
    timedelta(hours=24),
)
MAX_ATTEMPTS = len(RETRY_SCHEDULE)


def next_delay(
    step: int, *, jitter: float = 0.1, rng: random.Random | None = None
) -> timedelta | None:
    """The delay before attempt ``step + 1`` (``step`` attempts made so far in this
    schedule), or None when the schedule is used up. Jitter spreads it by ±``jitter``."""
    if step >= MAX_ATTEMPTS:
        return None
    base = RETRY_SCHEDULE[step]
    spread = (rng or random).uniform(-jitter, jitter)
    return base * (1 + spread)


def parse_retry_after(value: str | None, now: datetime | None = None) -> timedelta | None:
    """``Retry-After`` as seconds or as an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(when - (now or datetime.now(UTC)), timedelta(0))
    if seconds < 0 or seconds != seconds:  # negative or NaN
        return None
    return timedelta(seconds=seconds)
