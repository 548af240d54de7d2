"""The SLA policy as GraphQL types: what contracts stores per plan and hands out with an
entitlement, and what tickets snapshots per case. One set of types for every domain, so
``SlaMetric`` (a fixed point of the public schema, docs/api.md) is defined once.

The shape follows the stored JSON field by field (``careplane_shared.sla_policy``), in
camelCase; a service interval ``["09:00", "17:00"]`` becomes ``{start, end}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from enum import Enum
from typing import cast

import strawberry

from careplane_gateway.graphql.convert import Row


@strawberry.enum(description="What an SLA clock measures.")
class SlaMetric(Enum):
    FIRST_RESPONSE = strawberry.enum_value(
        "FIRST_RESPONSE", description="Time to the first staff response."
    )
    NEXT_RESPONSE = strawberry.enum_value(
        "NEXT_RESPONSE", description="Time to the next staff response after a customer's reply."
    )
    RESOLUTION = strawberry.enum_value("RESOLUTION", description="Time to the close.")


@strawberry.enum(description="A day of the week.")
class Weekday(Enum):
    MON = strawberry.enum_value("mon", description="Monday.")
    TUE = strawberry.enum_value("tue", description="Tuesday.")
    WED = strawberry.enum_value("wed", description="Wednesday.")
    THU = strawberry.enum_value("thu", description="Thursday.")
    FRI = strawberry.enum_value("fri", description="Friday.")
    SAT = strawberry.enum_value("sat", description="Saturday.")
    SUN = strawberry.enum_value("sun", description="Sunday.")


@strawberry.type(description="Service time from `start` up to `end`, local wall-clock time.")
class ServiceInterval:
    start: str = strawberry.field(description="HH:MM.")
    end: str = strawberry.field(description="HH:MM; 24:00 ends the day.")

    @classmethod
    def list_from_rest(cls, intervals: Sequence[Sequence[str]] | None) -> list[ServiceInterval]:
        return [cls(start=start, end=end) for start, end in intervals or ()]


@strawberry.type(description="Service hours per weekday; an empty day is closed.")
class WeeklyHours:
    mon: list[ServiceInterval] = strawberry.field(
        description="Monday's working hours; empty when closed."
    )
    tue: list[ServiceInterval] = strawberry.field(
        description="Tuesday's working hours; empty when closed."
    )
    wed: list[ServiceInterval] = strawberry.field(
        description="Wednesday's working hours; empty when closed."
    )
    thu: list[ServiceInterval] = strawberry.field(
        description="Thursday's working hours; empty when closed."
    )
    fri: list[ServiceInterval] = strawberry.field(
        description="Friday's working hours; empty when closed."
    )
    sat: list[ServiceInterval] = strawberry.field(
        description="Saturday's working hours; empty when closed."
    )
    sun: list[ServiceInterval] = strawberry.field(
        description="Sunday's working hours; empty when closed."
    )

    @classmethod
    def from_rest(cls, hours: Row | None) -> WeeklyHours:
        hours = hours or {}
        # A member declared with ``strawberry.enum_value`` holds its plain value at run time;
        # the type checker sees the declaration.
        days = [cast(str, day.value) for day in Weekday]
        return cls(**{day: ServiceInterval.list_from_rest(hours.get(day)) for day in days})


@strawberry.type(description="A business calendar: time zone, weekly service hours, holidays.")
class BusinessCalendar:
    timezone: str = strawberry.field(description="IANA time zone, e.g. America/Denver.")
    hours: WeeklyHours = strawberry.field(description="Working hours per weekday.")
    always_open: bool = strawberry.field(
        description="Calendar time: every minute counts, no hours or holidays."
    )
    holiday_country: str | None = strawberry.field(
        description="ISO 3166-1 alpha-2 code whose public holidays are closed."
    )
    holiday_subdivision: str | None = strawberry.field(
        description="Subdivision of the holiday country, e.g. ENG (GB) or QLD (AU)."
    )
    extra_holidays: list[date] = strawberry.field(description="The vendor's own closing days.")
    use_customer_center: bool = strawberry.field(
        description=(
            "The customer's support center's calendar replaces this one (this one is the "
            "fallback). Never set in a resolved policy, such as an entitlement's."
        )
    )

    @classmethod
    def from_rest(cls, body: Row) -> BusinessCalendar:
        return cls(
            timezone=body["timezone"],
            hours=WeeklyHours.from_rest(body.get("hours")),
            always_open=bool(body.get("always_open", False)),
            holiday_country=body.get("holiday_country"),
            holiday_subdivision=body.get("holiday_subdivision"),
            extra_holidays=[date.fromisoformat(d) for d in body.get("extra_holidays") or ()],
            use_customer_center=bool(body.get("use_customer_center", False)),
        )


@strawberry.type(description="A weekly window a clock may start in, e.g. Mon-Fri 07:00-22:00.")
class SlaWindow:
    timezone: str = strawberry.field(description="The IANA time zone the hours are in.")
    days: list[Weekday] = strawberry.field(description="The weekdays it covers.")
    start: str = strawberry.field(description="HH:MM, inclusive.")
    end: str = strawberry.field(description="HH:MM, exclusive.")

    @classmethod
    def from_rest(cls, body: Row) -> SlaWindow:
        return cls(
            timezone=body["timezone"],
            days=[Weekday(day) for day in body["days"]],
            start=body["start"],
            end=body["end"],
        )


@strawberry.type(
    description=(
        "One commitment. For a clock, the first target in the policy's order whose metric, "
        "priorities, window and scheduled-visit flag match applies."
    )
)
class SlaTarget:
    metric: SlaMetric = strawberry.field(description="The clock.")
    minutes: int = strawberry.field(description="The target, in minutes.")
    business_time: bool = strawberry.field(
        description="Counted in the calendar's service minutes; false: calendar minutes."
    )
    priorities: list[str] | None = strawberry.field(description="Null: every priority.")
    window: SlaWindow | None = strawberry.field(
        description="Applies when the clock starts inside this window; null: whenever."
    )
    scheduled_visit: bool = strawberry.field(
        description="Applies only to cases raised during a scheduled customer visit."
    )

    @classmethod
    def from_rest(cls, body: Row) -> SlaTarget:
        window = body.get("window")
        priorities = body.get("priorities")
        return cls(
            metric=SlaMetric(body["metric"]),
            minutes=int(body["minutes"]),
            business_time=bool(body["business_time"]),
            priorities=list(priorities) if priorities is not None else None,
            window=SlaWindow.from_rest(window) if window else None,
            scheduled_visit=bool(body.get("scheduled_visit", False)),
        )


@strawberry.type(description="An SLA: its business calendar, its priorities and its targets.")
class SlaPolicy:
    calendar: BusinessCalendar = strawberry.field(
        description="The business calendar clocks count in."
    )
    priorities: list[str] = strawberry.field(
        description="The plan's priorities, e.g. LOW, NORMAL, HIGH."
    )
    default_priority: str = strawberry.field(description="The priority a new case gets.")
    targets: list[SlaTarget] = strawberry.field(description="The targets per priority and clock.")

    @classmethod
    def from_rest(cls, body: Row) -> SlaPolicy:
        return cls(
            calendar=BusinessCalendar.from_rest(body["calendar"]),
            priorities=list(body["priorities"]),
            default_priority=body["default_priority"],
            targets=[SlaTarget.from_rest(t) for t in body.get("targets") or ()],
        )
