"""The demo plans of docs/domain.md section 5, as SLA policies, with scenarios worked by hand.

The policies are defined here only: contracts seeds the demo plans. Every expected
instant is derived in the comment above it from the plan's calendar and targets, never
copied from the engine's output.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from careplane_shared.sla_policy import CalendarSpec, SlaMetric, SlaPolicy
from tickets.sla.calendar import BusinessCalendar
from tickets.sla.clocks import compute_clocks
from tickets.sla.model import SlaClock, SlaEvent, SlaEventKind, TicketStatus

FR, NR, RES = SlaMetric.FIRST_RESPONSE, SlaMetric.NEXT_RESPONSE, SlaMetric.RESOLUTION
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")

DENVER = ZoneInfo("America/Denver")
LONDON = ZoneInfo("Europe/London")
BRISBANE = ZoneInfo("Australia/Brisbane")
NEW_YORK = ZoneInfo("America/New_York")
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
MOSCOW = ZoneInfo("Europe/Moscow")


def weekdays(opens: str, closes: str) -> dict[str, list[list[str]]]:
    return {day: [[opens, closes]] for day in WEEKDAYS}


def business(metric: SlaMetric, minutes: int, *priorities: str) -> dict[str, Any]:
    return {
        "metric": metric.value,
        "minutes": minutes,
        "business_time": True,
        "priorities": list(priorities) or None,
    }


# -- the support centers and the plans -------------------------------------------------------

BROOMFIELD = CalendarSpec.model_validate(
    {"timezone": "America/Denver", "hours": weekdays("08:00", "17:00"), "holiday_country": "US"}
)
WALLINGFORD = CalendarSpec.model_validate(
    {
        "timezone": "Europe/London",
        "hours": weekdays("08:00", "17:00"),
        "holiday_country": "GB",
        "holiday_subdivision": "ENG",
    }
)
BRISBANE_CENTER = CalendarSpec.model_validate(
    {
        "timezone": "Australia/Brisbane",
        "hours": weekdays("08:00", "17:00"),
        "holiday_country": "AU",
        "holiday_subdivision": "QLD",
    }
)

# InfoCare [000]: the nearest center's office hours; 2 hours to respond, 24 to resolve.
# The plan's own calendar is Broomfield's, the fallback for a customer without a center.
INFOCARE = SlaPolicy.model_validate(
    {
        "calendar": {**BROOMFIELD.model_dump(mode="json"), "use_customer_center": True},
        "priorities": ["LOW", "NORMAL", "HIGH"],
        "default_priority": "NORMAL",
        "targets": [business(FR, 120), business(NR, 120), business(RES, 1440)],
    }
)

_INFRACARE_WINDOW = {
    "timezone": "America/New_York",
    "days": list(WEEKDAYS),
    "start": "07:00",
    "end": "22:00",
}


def _infracare_targets(metric: SlaMetric) -> list[dict[str, Any]]:
    calendar_time = {"metric": metric.value, "business_time": False}
    return [
        {**calendar_time, "minutes": 15, "scheduled_visit": True},
        {**calendar_time, "minutes": 120, "window": _INFRACARE_WINDOW},
        {**calendar_time, "minutes": 480},
    ]


# InfraCare [001]: calendar time around the clock; 2 hours when the clock starts on a
# weekday 07:00-22:00 New York time, 8 hours otherwise, 15 minutes during a scheduled
# visit; the response clock restarts at every exchange; no resolution commitment.
INFRACARE = SlaPolicy.model_validate(
    {
        "calendar": {"timezone": "America/New_York", "always_open": True},
        "priorities": ["NORMAL"],
        "default_priority": "NORMAL",
        "targets": [*_infracare_targets(FR), *_infracare_targets(NR)],
    }
)

# Invantive [002]: business days of 09:00-17:00 Dutch time (8 hours), Dutch holidays.
# Response 1/2/3 and repair 10/30/90 business days for categories I/II/III.
INVANTIVE = SlaPolicy.model_validate(
    {
        "calendar": {
            "timezone": "Europe/Amsterdam",
            "hours": weekdays("09:00", "17:00"),
            "holiday_country": "NL",
        },
        "priorities": ["I", "II", "III"],
        "default_priority": "III",
        "targets": [
            business(FR, 480, "I"),
            business(FR, 960, "II"),
            business(FR, 1440, "III"),
            business(RES, 4800, "I"),
            business(RES, 14400, "II"),
            business(RES, 43200, "III"),
        ],
    }
)

_INFOTECS_CALENDAR = {
    "timezone": "Europe/Moscow",
    "hours": weekdays("09:00", "18:00"),
    "holiday_country": "RU",
}

# Infotecs [003] names no response times; the demo's are ours.
INFOTECS_BASIC = SlaPolicy.model_validate(
    {
        "calendar": _INFOTECS_CALENDAR,
        "priorities": ["LOW", "NORMAL", "HIGH", "CRITICAL"],
        "default_priority": "NORMAL",
        "targets": [business(FR, 480)],
    }
)
INFOTECS_PREMIUM = SlaPolicy.model_validate(
    {
        "calendar": _INFOTECS_CALENDAR,
        "priorities": ["LOW", "NORMAL", "HIGH", "CRITICAL"],
        "default_priority": "NORMAL",
        "targets": [
            {
                "metric": "FIRST_RESPONSE",
                "minutes": 60,
                "business_time": False,
                "priorities": ["CRITICAL"],
            },
            business(FR, 240),
        ],
    }
)


# -- helpers ---------------------------------------------------------------------------------


def at(zone: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=zone).astimezone(UTC)


def simulate(
    plan: SlaPolicy,
    priority: str,
    received: datetime,
    events: Sequence[SlaEvent] = (),
    *,
    as_of: datetime,
    center: CalendarSpec | None = None,
    scheduled_visit: bool = False,
) -> list[SlaClock]:
    """What slaSimulate does: resolve the plan for the customer, then run the engine."""
    snapshot = plan.resolved(center)
    calendar = BusinessCalendar.for_spec(snapshot.calendar)
    return compute_clocks(
        snapshot,
        calendar,
        priority=priority,
        received_at=received,
        events=events,
        as_of=as_of,
        scheduled_visit=scheduled_visit,
    )


def staff(when: datetime, **flags: bool) -> SlaEvent:
    return SlaEvent(when, SlaEventKind.STAFF_REPLY, **flags)


def customer(when: datetime) -> SlaEvent:
    return SlaEvent(when, SlaEventKind.CUSTOMER_REPLY)


def status(when: datetime, new: str) -> SlaEvent:
    return SlaEvent(when, SlaEventKind.STATUS_CHANGE, status=TicketStatus(new))


def category(when: datetime, new: str) -> SlaEvent:
    return SlaEvent(when, SlaEventKind.PRIORITY_CHANGE, priority=new)


def summary(clock: SlaClock) -> tuple[Any, ...]:
    return (clock.metric, clock.cycle, clock.due_at, clock.stopped_at, clock.breached)


# -- InfoCare --------------------------------------------------------------------------------


def test_infocare_acme_water_through_labor_day() -> None:
    # Acme Water (Broomfield: Denver, Mon-Fri 08:00-17:00, 540 minutes a day, US
    # holidays). HIGH, received Friday 29 August 2025 15:30 MDT; Monday 1 September is
    # Labor Day.
    mdt = DENVER
    received = at(mdt, 2025, 8, 29, 15, 30)
    events = [
        # First response 120: 90 on Friday, Labor Day closed, 30 on Tuesday: due
        # Tuesday 2 September 08:30. Answered at 08:15: met.
        staff(at(mdt, 2025, 9, 2, 8, 15)),
        # Next response, cycle 1: 30 on Tuesday (16:30-17:00), 90 on Wednesday: due
        # Wednesday 09:30. Answered 09:45: breached by 15 minutes.
        customer(at(mdt, 2025, 9, 2, 16, 30)),
        staff(at(mdt, 2025, 9, 3, 9, 45)),
        # Pending Wednesday 10:00 to Thursday 10:00: 420 + 120 = 540 minutes paused.
        status(at(mdt, 2025, 9, 3, 10, 0), "PENDING"),
        # The customer's answer reopens the case and starts cycle 2: due Thursday
        # 12:00, answered 11:00.
        status(at(mdt, 2025, 9, 4, 10, 0), "OPEN"),
        customer(at(mdt, 2025, 9, 4, 10, 0)),
        staff(at(mdt, 2025, 9, 4, 11, 0)),
        # Resolution 1440: before the pause 90 (Friday) + 540 (Tuesday) + 120
        # (Wednesday 08:00-10:00) = 750; 690 left from Thursday 10:00: 420 on
        # Thursday, 270 on Friday from 08:00: due Friday 5 September 12:30. Closed
        # 11:00: met.
        status(at(mdt, 2025, 9, 5, 11, 0), "CLOSED"),
    ]
    found = simulate(
        INFOCARE, "HIGH", received, events, as_of=at(mdt, 2025, 9, 8), center=BROOMFIELD
    )
    assert [summary(clock) for clock in found] == [
        (FR, 1, at(mdt, 2025, 9, 2, 8, 30), at(mdt, 2025, 9, 2, 8, 15), False),
        (NR, 1, at(mdt, 2025, 9, 3, 9, 30), at(mdt, 2025, 9, 3, 9, 45), True),
        (NR, 2, at(mdt, 2025, 9, 4, 12, 0), at(mdt, 2025, 9, 4, 11, 0), False),
        (RES, 1, at(mdt, 2025, 9, 5, 12, 30), at(mdt, 2025, 9, 5, 11, 0), False),
    ]
    assert found[-1].paused_minutes == 540
    assert found[1].explanation[-1] == "breached: stopped 15m after due"


def test_infocare_follows_the_customers_support_center() -> None:
    # The same instant, Friday 22 August 2025 16:00 BST = 09:00 MDT = Saturday
    # 01:00 AEST, for customers of each center (first response 120).
    received = at(LONDON, 2025, 8, 22, 16, 0)
    # Wallingford: 60 minutes on Friday; Monday 25 August is the (English) late
    # summer bank holiday; Tuesday 08:00 + 60: 09:00 BST.
    wallingford = simulate(INFOCARE, "NORMAL", received, as_of=received, center=WALLINGFORD)
    assert wallingford[0].due_at == at(LONDON, 2025, 8, 26, 9, 0)
    # Broomfield: open since 08:00 Denver time: 09:00 + 120 = 11:00 MDT the same day.
    broomfield = simulate(INFOCARE, "NORMAL", received, as_of=received, center=BROOMFIELD)
    assert broomfield[0].due_at == at(DENVER, 2025, 8, 22, 11, 0)
    # Brisbane: Saturday morning already; Monday 25 August 08:00 + 120: 10:00 AEST.
    brisbane = simulate(INFOCARE, "NORMAL", received, as_of=received, center=BRISBANE_CENTER)
    assert brisbane[0].started_at == at(BRISBANE, 2025, 8, 25, 8, 0)
    assert brisbane[0].due_at == at(BRISBANE, 2025, 8, 25, 10, 0)
    # No center: the plan's own calendar, Broomfield's.
    assert simulate(INFOCARE, "NORMAL", received, as_of=received)[0].due_at == broomfield[0].due_at


def test_infocare_brisbane_before_anzac_day() -> None:
    # Thursday 24 April 2025 16:00 AEST; Friday 25 April is Anzac Day. First response
    # 120: 60 on Thursday, then Monday 28 April 08:00 + 60: 09:00. Resolution 1440: 60
    # on Thursday, 540 on Monday (600), 540 on Tuesday (1140), 300 on Wednesday from
    # 08:00: Wednesday 30 April 13:00.
    received = at(BRISBANE, 2025, 4, 24, 16, 0)
    first, resolution = simulate(INFOCARE, "LOW", received, as_of=received, center=BRISBANE_CENTER)
    assert first.due_at == at(BRISBANE, 2025, 4, 28, 9, 0)
    assert resolution.due_at == at(BRISBANE, 2025, 4, 30, 13, 0)


def test_infocare_across_the_spring_dst_switch_in_denver() -> None:
    # Friday 7 March 2025 16:00 MST; clocks go forward on Sunday 9 March. Resolution
    # 1440: 60 on Friday, 540 on Monday (600), 540 on Tuesday (1140), 300 on Wednesday
    # from 08:00 MDT: Wednesday 12 March 13:00 MDT (19:00 UTC). Office hours stay
    # 08:00-17:00 local on both sides of the switch.
    received = at(DENVER, 2025, 3, 7, 16, 0)
    resolution = simulate(INFOCARE, "NORMAL", received, as_of=received, center=BROOMFIELD)[-1]
    assert resolution.due_at == datetime(2025, 3, 12, 19, 0, tzinfo=UTC)


# -- InfraCare -------------------------------------------------------------------------------


def test_infracare_response_commitments_by_window() -> None:
    et = NEW_YORK
    cases = [
        # Tuesday 21:30 EST is inside 07:00-22:00: 2 hours, due 23:30.
        (at(et, 2025, 3, 4, 21, 30), 120, at(et, 2025, 3, 4, 23, 30)),
        # Tuesday 22:00 is night: 8 hours, due Wednesday 06:00.
        (at(et, 2025, 3, 4, 22, 0), 480, at(et, 2025, 3, 5, 6, 0)),
        # Saturday noon is weekend: 8 hours, due 20:00.
        (at(et, 2025, 3, 8, 12, 0), 480, at(et, 2025, 3, 8, 20, 0)),
        # Saturday 1 November 2025 23:00 EDT (03:00 UTC): 8 real hours across the fall
        # back at 02:00 EDT is 11:00 UTC, Sunday 06:00 EST.
        (at(et, 2025, 11, 1, 23, 0), 480, at(et, 2025, 11, 2, 6, 0)),
        # Saturday 8 March 2025 23:00 EST (04:00 UTC): 8 real hours across the spring
        # forward is 12:00 UTC, Sunday 08:00 EDT.
        (at(et, 2025, 3, 8, 23, 0), 480, at(et, 2025, 3, 9, 8, 0)),
    ]
    for received, minutes, due in cases:
        found = simulate(INFRACARE, "NORMAL", received, as_of=received)
        # No resolution commitment: the first response is the only clock.
        assert [clock.metric for clock in found] == [FR]
        assert (found[0].target_minutes, found[0].due_at) == (minutes, due), received
        assert not found[0].business_time


def test_infracare_the_response_clock_restarts_at_every_exchange() -> None:
    et = NEW_YORK
    received = at(et, 2025, 3, 3, 10, 0)  # Monday, inside the window: due 12:00
    events = [
        # The automated acknowledgement carrying the ticket number is no response.
        staff(at(et, 2025, 3, 3, 10, 0), automated=True),
        staff(at(et, 2025, 3, 3, 11, 0)),
        # Monday 21:45, inside: due 23:45; answered 23:30.
        customer(at(et, 2025, 3, 3, 21, 45)),
        staff(at(et, 2025, 3, 3, 23, 30)),
        # Tuesday 22:15, outside: due Wednesday 06:15; answered 07:00, 45 minutes late.
        customer(at(et, 2025, 3, 4, 22, 15)),
        staff(at(et, 2025, 3, 5, 7, 0)),
        # Wednesday 09:00, inside: due 11:00, still open at 10:00.
        customer(at(et, 2025, 3, 5, 9, 0)),
    ]
    found = simulate(INFRACARE, "NORMAL", received, events, as_of=at(et, 2025, 3, 5, 10, 0))
    assert [summary(clock) for clock in found] == [
        (FR, 1, at(et, 2025, 3, 3, 12, 0), at(et, 2025, 3, 3, 11, 0), False),
        (NR, 1, at(et, 2025, 3, 3, 23, 45), at(et, 2025, 3, 3, 23, 30), False),
        (NR, 2, at(et, 2025, 3, 5, 6, 15), at(et, 2025, 3, 5, 7, 0), True),
        (NR, 3, at(et, 2025, 3, 5, 11, 0), None, False),
    ]


def test_infracare_scheduled_customer_visit() -> None:
    # During a visit booked in advance: a technician within 15 minutes, at any hour.
    received = at(NEW_YORK, 2025, 3, 8, 12, 0)
    first = simulate(INFRACARE, "NORMAL", received, as_of=received, scheduled_visit=True)[0]
    assert (first.target_minutes, first.due_at) == (15, at(NEW_YORK, 2025, 3, 8, 12, 15))


# -- Invantive Subscription ------------------------------------------------------------------


def test_invantive_category_i_on_friday_before_a_holiday_monday() -> None:
    # Category I received Friday 29 December 2023 16:30 CET; Monday 1 January 2024 is
    # New Year's Day. Response 480: 30 on Friday, Monday closed, Tuesday 2 January
    # 09:00 + 450: 16:30 CET.
    received = at(AMSTERDAM, 2023, 12, 29, 16, 30)
    first, repair = simulate(INVANTIVE, "I", received, as_of=received)
    assert first.due_at == at(AMSTERDAM, 2024, 1, 2, 16, 30)
    # Repair 4800 (10 business days): 30 on Friday 29 December; Tuesday 2 to Friday
    # 5 January 4 x 480 = 1920 (1950); 8-12 January 2400 (4350); 450 on Monday
    # 15 January: 16:30.
    assert repair.due_at == at(AMSTERDAM, 2024, 1, 15, 16, 30)


def test_invantive_category_i_before_christmas_and_whit_monday() -> None:
    # Friday 22 December 2023 16:30: Christmas Day and Boxing Day are Monday and
    # Tuesday, so the response is due Wednesday 27 December 16:30.
    received = at(AMSTERDAM, 2023, 12, 22, 16, 30)
    assert simulate(INVANTIVE, "I", received, as_of=received)[0].due_at == at(
        AMSTERDAM, 2023, 12, 27, 16, 30
    )
    # Friday 6 June 2025 16:30 CEST, Whit Monday 9 June: Tuesday 10 June 16:30 CEST.
    received = at(AMSTERDAM, 2025, 6, 6, 16, 30)
    assert simulate(INVANTIVE, "I", received, as_of=received)[0].due_at == at(
        AMSTERDAM, 2025, 6, 10, 16, 30
    )


def test_invantive_default_category_iii_and_ninety_business_days() -> None:
    # Received Wednesday 15 January 2025 10:00 CET as the default category III.
    received = at(AMSTERDAM, 2025, 1, 15, 10, 0)
    first, repair = simulate(INVANTIVE, INVANTIVE.default_priority, received, as_of=received)
    # Response 1440: 420 on Wednesday, 480 Thursday, 480 Friday (1380), 60 on Monday
    # 20 January: 10:00.
    assert first.due_at == at(AMSTERDAM, 2025, 1, 20, 10, 0)
    # Repair 43200 = 420 on the first day + 89 full days of 480 + 60 minutes: 10:00 on
    # the 90th business day after 15 January. Business days after it: January 12
    # (16-31), February 20 (32), March 21 (53), April 22 - Good Friday - Easter Monday
    # = 20 (73), then May: 1, 2 (75), Liberation Day 5 May closed, 6-9 (79), 12-16
    # (84), 19-23 (89), Monday 26 May is the 90th: 10:00 CEST.
    assert repair.due_at == at(AMSTERDAM, 2025, 5, 26, 10, 0)


def test_invantive_category_change_on_request_is_recomputed_from_the_start() -> None:
    # Received Monday 3 March 2025 09:00 as III (response 1440: Wednesday 17:00).
    # At 12:00 the customer motivates category II and staff accept: response 960 from
    # the original start, Tuesday 17:00; repair 14400 = 30 business days from Monday
    # 09:00: the 30th business day counting Monday 3 March as the first is Friday
    # 11 April, 17:00 CEST.
    received = at(AMSTERDAM, 2025, 3, 3, 9, 0)
    events = [
        category(at(AMSTERDAM, 2025, 3, 3, 12, 0), "II"),
        staff(at(AMSTERDAM, 2025, 3, 4, 15, 0)),
    ]
    first, repair = simulate(INVANTIVE, "III", received, events, as_of=at(AMSTERDAM, 2025, 3, 5))
    assert (first.priority, first.due_at, first.breached) == (
        "II",
        at(AMSTERDAM, 2025, 3, 4, 17, 0),
        False,
    )
    assert (repair.priority, repair.due_at) == ("II", at(AMSTERDAM, 2025, 4, 11, 17, 0))


def test_invantive_downgrade_after_a_breach_keeps_the_breach() -> None:
    # Category I received Monday 3 March 2025 09:00: response due Monday 17:00. Not
    # answered; Tuesday 10:00 it is reclassified III (due Wednesday 17:00) and answered
    # at 11:00. The answer is within the new target, but the breach of Monday 17:00
    # stands.
    received = at(AMSTERDAM, 2025, 3, 3, 9, 0)
    events = [
        category(at(AMSTERDAM, 2025, 3, 4, 10, 0), "III"),
        staff(at(AMSTERDAM, 2025, 3, 4, 11, 0)),
    ]
    first = simulate(INVANTIVE, "I", received, events, as_of=at(AMSTERDAM, 2025, 3, 6))[0]
    assert first.due_at == at(AMSTERDAM, 2025, 3, 5, 17, 0)
    assert first.breached
    assert first.breached_at == at(AMSTERDAM, 2025, 3, 3, 17, 0)


def test_invantive_repair_pauses_while_waiting_for_the_customer() -> None:
    # Category I received Monday 3 March 2025 09:00: repair 4800 (10 business days)
    # would be due Friday 14 March 17:00. Pending from Wednesday 5 March 13:00 to
    # Monday 10 March 13:00: 240 + 480 + 480 + 240 = 1440 business minutes (the weekend
    # does not count anyway), so the due time moves 3 business days: Wednesday
    # 19 March 17:00.
    received = at(AMSTERDAM, 2025, 3, 3, 9, 0)
    events = [
        staff(at(AMSTERDAM, 2025, 3, 3, 10, 0)),
        status(at(AMSTERDAM, 2025, 3, 5, 13, 0), "PENDING"),
        customer(at(AMSTERDAM, 2025, 3, 10, 13, 0)),
        status(at(AMSTERDAM, 2025, 3, 10, 13, 0), "OPEN"),
    ]
    repair = simulate(INVANTIVE, "I", received, events, as_of=at(AMSTERDAM, 2025, 3, 11))[-1]
    assert repair.paused_minutes == 1440
    assert repair.due_at == at(AMSTERDAM, 2025, 3, 19, 17, 0)
    # The plan has no next-response target: the customer's answer starts no clock.
    assert [
        clock.metric for clock in simulate(INVANTIVE, "I", received, events, as_of=received)
    ] == [
        FR,
        RES,
    ]


# -- Infotecs ----------------------------------------------------------------------------------


def test_infotecs_basic_over_the_russian_new_year() -> None:
    # Tuesday 30 December 2025 17:00 MSK (09:00-18:00, 540 a day): 60 that day;
    # 31 December and 1-9 January 2026 are days off, then the weekend; Monday
    # 12 January 09:00 + 420: 16:00 MSK.
    received = at(MOSCOW, 2025, 12, 30, 17, 0)
    found = simulate(INFOTECS_BASIC, "CRITICAL", received, as_of=received)
    assert [clock.metric for clock in found] == [FR]
    assert found[0].due_at == at(MOSCOW, 2026, 1, 12, 16, 0)


def test_infotecs_basic_an_ordinary_week() -> None:
    # Wednesday 5 March 2025 12:00 MSK: 360 that day, Thursday 09:00 + 120: 11:00.
    received = at(MOSCOW, 2025, 3, 5, 12, 0)
    assert simulate(INFOTECS_BASIC, "NORMAL", received, as_of=received)[0].due_at == at(
        MOSCOW, 2025, 3, 6, 11, 0
    )


def test_infotecs_premium_critical_is_calendar_time() -> None:
    # CRITICAL on New Year's night, Thursday 1 January 2026 03:00 MSK: 60 calendar
    # minutes, due 04:00, holidays or not.
    received = at(MOSCOW, 2026, 1, 1, 3, 0)
    first = simulate(INFOTECS_PREMIUM, "CRITICAL", received, as_of=received)[0]
    assert (first.target_minutes, first.business_time, first.due_at) == (
        60,
        False,
        at(MOSCOW, 2026, 1, 1, 4, 0),
    )
    # NORMAL at the same moment: 240 business minutes from the first working minute,
    # Monday 12 January 09:00: 13:00.
    normal = simulate(INFOTECS_PREMIUM, "NORMAL", received, as_of=received)[0]
    assert (normal.started_at, normal.due_at) == (
        at(MOSCOW, 2026, 1, 12, 9, 0),
        at(MOSCOW, 2026, 1, 12, 13, 0),
    )


def test_infotecs_premium_escalated_to_critical() -> None:
    # NORMAL received Friday 7 March 2025 16:00 MSK: 240 business minutes: 120 on
    # Friday, Monday 10 March 09:00 + 120: 11:00. Raised to CRITICAL at 16:30: 60
    # calendar minutes from the original receipt, 17:00, answered 16:50: met.
    received = at(MOSCOW, 2025, 3, 7, 16, 0)
    assert simulate(INFOTECS_PREMIUM, "NORMAL", received, as_of=received)[0].due_at == at(
        MOSCOW, 2025, 3, 10, 11, 0
    )
    events = [
        category(at(MOSCOW, 2025, 3, 7, 16, 30), "CRITICAL"),
        staff(at(MOSCOW, 2025, 3, 7, 16, 50)),
    ]
    first = simulate(INFOTECS_PREMIUM, "NORMAL", received, events, as_of=at(MOSCOW, 2025, 3, 8))[0]
    assert (first.priority, first.due_at, first.breached) == (
        "CRITICAL",
        at(MOSCOW, 2025, 3, 7, 17, 0),
        False,
    )


def test_every_demo_policy_round_trips_as_json() -> None:
    for plan in (INFOCARE, INFRACARE, INVANTIVE, INFOTECS_BASIC, INFOTECS_PREMIUM):
        assert SlaPolicy.model_validate_json(plan.model_dump_json()) == plan
