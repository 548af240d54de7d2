"""Whether a closing case's requester is asked for feedback (seed 000: "at the closing of
the case, we will periodically ask for your feedback"). Pure: the random draw is passed in,
so a test decides it.

Three rules, in order: a contact who switched surveys off is never asked; a contact asked
within the cooldown is not asked again; otherwise a share ``rate`` of closings is asked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class SamplingRule:
    """``rate`` in [0, 1]: the share of closings asked; ``cooldown``: the least time
    between two surveys of one contact."""

    rate: float
    cooldown: timedelta

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        if self.cooldown < timedelta(0):
            raise ValueError("cooldown must not be negative")


def should_invite(
    rule: SamplingRule,
    *,
    opted_out: bool,
    last_invited_at: datetime | None,
    now: datetime,
    draw: float,
) -> bool:
    """``draw`` is a uniform number in [0, 1): the closing is sampled when it falls below
    the rate (rate 1 asks every eligible closing, rate 0 none)."""
    if opted_out:
        return False
    if last_invited_at is not None and now - last_invited_at < rule.cooldown:
        return False
    return draw < rule.rate


@dataclass(frozen=True, slots=True)
class SurveyPolicy:
    """The deployment's sampling rule, the random source it draws from, and how the
    survey link is made (its lifetime, its base URL, the key it is signed with)."""

    rule: SamplingRule
    draw: Callable[[], float]
    link_lifetime: timedelta
    link_base: str
    key: bytes
