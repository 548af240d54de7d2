"""The SLA policy data contract: what contracts stores per plan and tickets snapshots per case.

A policy is a business calendar plus a list of targets. It is plain, JSON-friendly data:
the rules that turn it into due times live in the tickets service's SLA engine
(``tickets.sla``). Validation here refuses anything the engine could not compute with:
unknown time zones, unordered or overlapping service hours, targets for priorities the
policy does not know.

Shape, as JSON::

    {
      "calendar": {
        "timezone": "Europe/Amsterdam",
        "hours": {"mon": [["09:00", "17:00"]], ..., "sat": [], "sun": []},
        "always_open": false,
        "holiday_country": "NL", "holiday_subdivision": null,
        "extra_holidays": ["2025-12-24"],
        "use_customer_center": false
      },
      "priorities": ["I", "II", "III"],
      "default_priority": "III",
      "targets": [
        {"metric": "FIRST_RESPONSE", "minutes": 480, "business_time": true,
         "priorities": ["I"], "window": null, "scheduled_visit": false},
        ...
      ]
    }

Target selection (done by the engine): the first target in list order whose metric,
priorities, window and scheduled-visit flag match; a metric without a matching target
has no clock.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Annotated, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PositiveInt, model_validator

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

# Index i is Python's date.weekday() == i.
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_CLOCK_TIME = re.compile(r"^(?:([01]\d|2[0-3]):([0-5]\d)|24:00)$")


class SlaMetric(StrEnum):
    FIRST_RESPONSE = "FIRST_RESPONSE"
    NEXT_RESPONSE = "NEXT_RESPONSE"
    RESOLUTION = "RESOLUTION"


def clock_minutes(value: str) -> int:
    """Minutes after local midnight of an ``"HH:MM"`` wall-clock time (``"24:00"`` is 1440)."""
    match = _CLOCK_TIME.match(value)
    if match is None:
        raise ValueError(f"{value!r} is not a time of day as HH:MM (00:00 to 24:00)")
    if value == "24:00":
        return 1440
    return int(match.group(1)) * 60 + int(match.group(2))


def _check_clock_time(value: str) -> str:
    clock_minutes(value)
    return value


def _check_timezone(value: str) -> str:
    # ZoneInfo accepts some keys that are file paths rather than zone names; the
    # length and character checks keep it to IANA-looking names.
    if not value or len(value) > 64 or value.startswith("/") or ".." in value:
        raise ValueError(f"{value!r} is not an IANA time zone name")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{value!r} is not an IANA time zone name") from exc
    return value


ClockTime = Annotated[str, AfterValidator(_check_clock_time)]
TimezoneName = Annotated[str, AfterValidator(_check_timezone)]
ServiceInterval = tuple[ClockTime, ClockTime]


def _check_day(day: str, intervals: list[ServiceInterval]) -> None:
    previous_end = -1
    for start_text, end_text in intervals:
        start, end = clock_minutes(start_text), clock_minutes(end_text)
        if start >= end:
            raise ValueError(
                f"{day}: service interval {start_text}-{end_text} must end after it starts"
            )
        # Touching intervals (12:00-13:00, 13:00-14:00) are allowed and simply join.
        if start < previous_end:
            raise ValueError(f"{day}: service intervals must be in order and must not overlap")
        previous_end = end


class WeeklyHours(BaseModel):
    """Service hours per weekday in local wall-clock time; an empty day is closed.

    Each day holds ordered, non-overlapping ``[start, end)`` intervals; ``"24:00"`` may
    end a day. An interval cannot run past midnight: split it over two days.
    """

    model_config = ConfigDict(extra="forbid")

    mon: list[ServiceInterval] = Field(default_factory=list)
    tue: list[ServiceInterval] = Field(default_factory=list)
    wed: list[ServiceInterval] = Field(default_factory=list)
    thu: list[ServiceInterval] = Field(default_factory=list)
    fri: list[ServiceInterval] = Field(default_factory=list)
    sat: list[ServiceInterval] = Field(default_factory=list)
    sun: list[ServiceInterval] = Field(default_factory=list)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        for day in WEEKDAYS:
            _check_day(day, getattr(self, day))
        return self

    def for_weekday(self, weekday: int) -> list[ServiceInterval]:
        """The intervals of ``date.weekday() == weekday`` (0 is Monday)."""
        intervals: list[ServiceInterval] = getattr(self, WEEKDAYS[weekday])
        return intervals

    def is_empty(self) -> bool:
        return not any(getattr(self, day) for day in WEEKDAYS)


class CalendarSpec(BaseModel):
    """A business calendar: time zone, weekly service hours and holidays.

    ``always_open`` means calendar time: every minute counts, and hours and holidays
    must then be left empty. ``use_customer_center`` (InfoCare) means the customer's
    support center's calendar replaces this one; this one is the fallback for a
    customer without a center. The snapshot given to the SLA engine is always resolved
    (see ``SlaPolicy.resolved``).
    """

    model_config = ConfigDict(extra="forbid")

    timezone: TimezoneName
    hours: WeeklyHours = Field(default_factory=WeeklyHours)
    always_open: bool = False
    holiday_country: str | None = Field(
        default=None,
        pattern=r"^[A-Z]{2}$",
        description="ISO 3166-1 alpha-2 code as the `holidays` package knows it.",
    )
    holiday_subdivision: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9 _-]{0,39}$",
        description="Subdivision code of holiday_country, e.g. ENG (GB) or QLD (AU).",
    )
    extra_holidays: list[date] = Field(
        default_factory=list, description="The vendor's own closing days."
    )
    use_customer_center: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.holiday_subdivision is not None and self.holiday_country is None:
            raise ValueError("holiday_subdivision needs holiday_country")
        if self.always_open:
            if not self.hours.is_empty():
                raise ValueError("an always_open calendar has no service hours")
            if self.holiday_country is not None or self.extra_holidays:
                raise ValueError("an always_open calendar has no holidays")
        elif self.hours.is_empty():
            # Business time could never elapse: every due time would be infinitely far.
            raise ValueError("a calendar that is not always_open needs service hours")
        return self


class WindowSpec(BaseModel):
    """When a clock starts inside this weekly window, its target applies (InfraCare).

    The window is ``[start, end)`` in local wall-clock time on each listed day.
    """

    model_config = ConfigDict(extra="forbid")

    timezone: TimezoneName
    days: list[Weekday] = Field(min_length=1)
    start: ClockTime
    end: ClockTime

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if len(set(self.days)) != len(self.days):
            raise ValueError("window days must not repeat")
        if clock_minutes(self.start) >= clock_minutes(self.end):
            raise ValueError("a window must end after it starts")
        return self


class TargetSpec(BaseModel):
    """One commitment: ``minutes`` for ``metric``, in business or calendar time.

    ``priorities`` None means every priority. ``window`` None means whenever the clock
    starts. A ``scheduled_visit`` target applies only to cases raised during a scheduled
    customer visit; other targets apply to those cases too when listed after it.
    """

    model_config = ConfigDict(extra="forbid")

    metric: SlaMetric
    minutes: PositiveInt
    business_time: bool
    priorities: list[str] | None = Field(default=None, min_length=1)
    window: WindowSpec | None = None
    scheduled_visit: bool = False


class SlaPolicy(BaseModel):
    """A plan's SLA: its business calendar, its priorities and its targets."""

    model_config = ConfigDict(extra="forbid")

    calendar: CalendarSpec
    priorities: list[Annotated[str, Field(min_length=1, max_length=50)]] = Field(min_length=1)
    default_priority: str
    targets: list[TargetSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if len(set(self.priorities)) != len(self.priorities):
            raise ValueError("priorities must not repeat")
        if self.default_priority not in self.priorities:
            raise ValueError(f"default_priority {self.default_priority!r} is not in priorities")
        known = set(self.priorities)
        for index, target in enumerate(self.targets):
            unknown = sorted(set(target.priorities or ()) - known)
            if unknown:
                raise ValueError(f"targets[{index}] names unknown priorities {unknown}")
        return self

    def resolved(self, center_calendar: CalendarSpec | None) -> SlaPolicy:
        """The snapshot the engine computes with: the calendar made concrete.

        Where the policy uses the customer's support center, that center's calendar
        replaces the policy's own; without a center the policy's calendar is the
        fallback. The result never has ``use_customer_center`` set.
        """
        if not self.calendar.use_customer_center:
            return self
        if center_calendar is not None and center_calendar.use_customer_center:
            raise ValueError("a support center's calendar cannot defer to a support center")
        chosen = center_calendar or self.calendar
        calendar = chosen.model_copy(update={"use_customer_center": False})
        return self.model_copy(update={"calendar": calendar})
