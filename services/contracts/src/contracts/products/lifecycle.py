"""Product lifecycle rules (docs/domain.md section 1, seed 003): pure, no I/O.

Per major version: GA and EOS are given; EOMS and EOL are derived unless overridden.
- EOMS = max(EOS + 1 year, GA of the next major version + 2 years)
- EOL  = EOMS + 1 year of extended support, and the whole support period is at least
  5 years from GA: EOL = max(EOMS + 1 year, GA + 5 years).
Phase at a date: MAINSTREAM until EOMS, EXTENDED until EOL, then END_OF_LIFE.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from itertools import pairwise

from careplane_shared.dates import add_months
from contracts.dates import add_years

ANNOUNCEMENT_MONTHS = 6
MINIMUM_SUPPORT_YEARS = 5


class Phase(StrEnum):
    PRE_RELEASE = "PRE_RELEASE"
    MAINSTREAM = "MAINSTREAM"
    EXTENDED = "EXTENDED"
    END_OF_LIFE = "END_OF_LIFE"


class Milestone(StrEnum):
    GA = "ga"
    EOS = "eos"
    EOMS = "eoms"
    EOL = "eol"


@dataclass(frozen=True, slots=True)
class MajorVersionDates:
    """What is stored for a major version: the given dates and any overrides."""

    major: int
    ga: date
    eos: date | None = None
    eoms_override: date | None = None
    eol_override: date | None = None


@dataclass(frozen=True, slots=True)
class Lifecycle:
    major: int
    ga: date
    eos: date | None
    eoms: date | None
    eol: date | None
    eoms_derived: bool
    eol_derived: bool

    def phase_at(self, day: date) -> Phase:
        if day < self.ga:
            return Phase.PRE_RELEASE
        # An EOL override may come before the derived EOMS: the end of life always wins.
        if self.eol is not None and day >= self.eol:
            return Phase.END_OF_LIFE
        if self.eoms is None or day < self.eoms:
            return Phase.MAINSTREAM
        if self.eol is None or day < self.eol:
            return Phase.EXTENDED
        return Phase.END_OF_LIFE

    def milestones(self) -> dict[Milestone, date | None]:
        return {
            Milestone.GA: self.ga,
            Milestone.EOS: self.eos,
            Milestone.EOMS: self.eoms,
            Milestone.EOL: self.eol,
        }


def derive_eoms(eos: date | None, next_ga: date | None) -> date | None:
    if eos is None:
        return None
    candidates = [add_years(eos, 1)]
    if next_ga is not None:
        candidates.append(add_years(next_ga, 2))
    return max(candidates)


def derive_eol(ga: date, eoms: date | None) -> date | None:
    if eoms is None:
        return None
    return max(add_years(eoms, 1), add_years(ga, MINIMUM_SUPPORT_YEARS))


def lifecycles(versions: Sequence[MajorVersionDates]) -> list[Lifecycle]:
    """Every major version of one product with its derived milestones, oldest first."""
    ordered = sorted(versions, key=lambda v: v.major)
    result: list[Lifecycle] = []
    for index, version in enumerate(ordered):
        later = ordered[index + 1 :]
        next_ga = min((v.ga for v in later), default=None)
        eoms = version.eoms_override or derive_eoms(version.eos, next_ga)
        eol = version.eol_override or derive_eol(version.ga, eoms)
        result.append(
            Lifecycle(
                major=version.major,
                ga=version.ga,
                eos=version.eos,
                eoms=eoms,
                eol=eol,
                eoms_derived=version.eoms_override is None,
                eol_derived=version.eol_override is None,
            )
        )
    return result


class MilestoneError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def check_order(version: MajorVersionDates) -> None:
    """GA <= EOS <= EOMS <= EOL where given (the derived ones follow from the rules)."""
    chain = [
        ("ga", version.ga),
        ("eos", version.eos),
        ("eoms", version.eoms_override),
        ("eol", version.eol_override),
    ]
    given = [(name, day) for name, day in chain if day is not None]
    for (first, a), (second, b) in pairwise(given):
        if b < a:
            raise MilestoneError(
                "MILESTONES_OUT_OF_ORDER",
                f"{second.upper()} ({b}) is before {first.upper()} ({a}).",
            )


def check_derived_order(lifecycle: Lifecycle) -> None:
    """EOMS must not come after EOL once the derived dates are known (an EOL override
    before the derived EOMS needs an EOMS override too)."""
    if lifecycle.eoms is not None and lifecycle.eol is not None and lifecycle.eol < lifecycle.eoms:
        raise MilestoneError(
            "MILESTONES_OUT_OF_ORDER",
            f"EOL ({lifecycle.eol}) of major {lifecycle.major} is before EOMS ({lifecycle.eoms}).",
        )


def check_announcement_notice(
    old: Lifecycle | None, new: Lifecycle, today: date, *, forced_reason: str | None
) -> list[Milestone]:
    """EOS, EOMS and EOL are announced at least 6 months ahead: a milestone that changes to a
    date between today and 6 months from today is refused unless forced with a reason.
    Past dates are history and allowed. Returns the milestones that changed."""
    horizon = add_months(today, ANNOUNCEMENT_MONTHS)
    before = old.milestones() if old else {}
    changed = [m for m, day in new.milestones().items() if before.get(m) != day]
    too_soon = [
        m
        for m in changed
        if m is not Milestone.GA
        and (day := new.milestones()[m]) is not None
        and today <= day < horizon
    ]
    if too_soon and not (forced_reason and forced_reason.strip()):
        names = ", ".join(m.value.upper() for m in too_soon)
        raise MilestoneError(
            "MILESTONE_NOTICE_TOO_SHORT",
            f"{names} would fall within {ANNOUNCEMENT_MONTHS} months of today ({today}); "
            "customers must be told at least 6 months ahead. Force it with a reason.",
        )
    return changed
