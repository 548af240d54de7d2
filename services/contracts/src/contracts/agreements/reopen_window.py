"""Whether a reopened case gives its quota ticket back: only within the plan's reopen
window after its close (default 14 days). Reopened later, the case is treated as new work
and its ticket stays used (a second close books another). Pure."""

from __future__ import annotations

from datetime import datetime, timedelta


def within_window(closed_at: datetime | None, reopened_at: datetime, window_days: int) -> bool:
    """``closed_at`` unknown (an older event): within, as before the window existed."""
    if closed_at is None:
        return True
    return reopened_at - closed_at <= timedelta(days=window_days)
