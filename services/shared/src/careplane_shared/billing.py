"""How time is billed, the one rule tickets (time entries) and contracts (billable items)
both apply. Pure."""

from __future__ import annotations

import math

# Other-support sessions are billed per started half hour (seed 002).
SESSION_BLOCK_MINUTES = 30


def billed_minutes(minutes: int) -> int:
    """``minutes`` of work rounded up to started half hours: 1 → 30, 30 → 30, 31 → 60."""
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    return math.ceil(minutes / SESSION_BLOCK_MINUTES) * SESSION_BLOCK_MINUTES
