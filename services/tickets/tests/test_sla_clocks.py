"""SLA clocks from a case's event history: the rules of docs/domain.md section 3.

Most cases use one business calendar: Europe/Amsterdam, Monday to Friday 09:00-17:00,
Dutch holidays. Week of 3 March 2025 (no holidays): Monday 3 to Friday 7 March.
Expected instants are worked out by hand in the comments.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from careplane_shared.sla_policy import CalendarSpec, SlaMetric, SlaPolicy
from tickets.sla.calendar import BusinessCalendar
from tickets.sla.clocks import compute_clocks, select_target, warning_at
from tickets.sla.model import SlaClock, SlaEvent, SlaEventKind, TicketStatus

AMS = ZoneInfo("Europe/Amsterdam")
NY = ZoneInfo("America/New_York")
MINUTE = timedelta(minutes=1)
FR, NR, RES = SlaMetric.FIRST_RESPONSE, SlaMetric.NEXT_RESPONSE, SlaMetric.RESOLUTION

CALENDAR = CalendarSpec.model_validate(
    {
        "timezone": "Europe/Amsterdam",
        "hours": {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
        "holiday_country": "NL",
    }
)
CAL = BusinessCalendar.for_spec(CALENDAR)


def policy(targets: list[dict[str, Any]], calendar: CalendarSpec = CALENDAR) -> SlaPolicy:
    return SlaPolicy.model_validate(
        {
            "calendar": calendar.model_dump(mode="json"),
            "priorities": ["I", "II", "III"],
            "default_priority": "III",
            "targets": targets,
        }
    )


def target(
    metric: SlaMetric, minutes: int, *priorities: str, business: bool = True, **more: Any
) -> dict[str, Any]:
    return {
        "metric": metric.value,
        "minutes": minutes,
        "business_time": business,
        "priorities": list(priorities) or None,
        **more,
    }


# I: respond within 1 business hour, resolve within 8; others 4 and 16; next response 2.
POLICY = policy(
    [
        target(FR, 60, "I"),
        target(FR, 240),
        target(NR, 120),
        target(RES, 480, "I"),
        target(RES, 960),
    ]
)


def ams(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=AMS).astimezone(UTC)


def staff(at: datetime, **flags: bool) -> SlaEvent:
    return SlaEvent(at, SlaEventKind.STAFF_REPLY, **flags)


def customer(at: datetime, **flags: bool) -> SlaEvent:
    return SlaEvent(at, SlaEventKind.CUSTOMER_REPLY, **flags)


def status(at: datetime, new: str) -> SlaEvent:
    return SlaEvent(at, SlaEventKind.STATUS_CHANGE, status=TicketStatus(new))


def priority(at: datetime, new: str) -> SlaEvent:
    return SlaEvent(at, SlaEventKind.PRIORITY_CHANGE, priority=new)


def clocks(
    received: datetime,
    events: Sequence[SlaEvent] = (),
    *,
    as_of: datetime,
    prio: str = "III",
    sla: SlaPolicy = POLICY,
    cal: BusinessCalendar = CAL,
    **more: Any,
) -> list[SlaClock]:
    return compute_clocks(
        sla, cal, priority=prio, received_at=received, events=events, as_of=as_of, **more
    )


def only(found: list[SlaClock], metric: SlaMetric) -> SlaClock:
    matching = [clock for clock in found if clock.metric is metric]
    assert len(matching) == 1, matching
    return matching[0]


# -- first response ------------------------------------------------------------------------


def test_a_new_case_has_first_response_and_resolution_clocks() -> None:
    # Priority III received Monday 10:00: first response 240 business minutes -> 14:00,
    # resolution 960 -> Monday 10:00 + 7h (to 17:00) + 9h... 420 today, 480 Tuesday,
    # 60 on Wednesday: Wednesday 10:00.
    found = clocks(ams(2025, 3, 3, 10), as_of=ams(2025, 3, 3, 11))
    assert [(c.metric, c.cycle) for c in found] == [(FR, 1), (RES, 1)]
    first, resolution = found
    assert first.started_at == ams(2025, 3, 3, 10)
    assert first.due_at == ams(2025, 3, 3, 14)
    assert resolution.due_at == ams(2025, 3, 5, 10)
    for clock in found:
        assert clock.stopped_at is None
        assert not clock.breached
        assert clock.breached_at is None
        assert clock.paused_minutes == 0
        assert clock.business_time
        assert clock.priority == "III"
        assert clock.running and not clock.paused
    assert first.target_minutes == 240
    assert (
        first.explanation[0] == "FIRST_RESPONSE target for priority III: 240 business minutes (4h)"
    )
    assert "received Mon 03 Mar 2025 10:00 CET during service hours" in first.explanation[1]
    assert first.explanation[-1] == "running: due in 3h as of Mon 03 Mar 2025 11:00 CET"


def test_first_response_stops_at_the_first_public_human_staff_reply() -> None:
    received = ams(2025, 3, 3, 10)
    events = [
        staff(ams(2025, 3, 3, 10, 1), automated=True),  # the acknowledgement mail
        staff(ams(2025, 3, 3, 11), internal=True),  # a note between colleagues
        staff(ams(2025, 3, 3, 13, 30)),
        staff(ams(2025, 3, 3, 15)),
    ]
    first = only(clocks(received, events, as_of=ams(2025, 3, 4)), FR)
    assert first.stopped_at == ams(2025, 3, 3, 13, 30)
    assert not first.breached
    text = "\n".join(first.explanation)
    assert "an automated message at Mon 03 Mar 2025 10:01 CET does not count as a response" in text
    assert "an internal note at Mon 03 Mar 2025 11:00 CET does not count as a response" in text
    assert "stopped Mon 03 Mar 2025 13:30 CET: first public staff reply" in text
    assert "met with 30m to spare" in text


def test_automated_and_internal_messages_alone_breach() -> None:
    received = ams(2025, 3, 3, 10)
    events = [
        staff(ams(2025, 3, 3, 10, 1), automated=True),
        staff(ams(2025, 3, 3, 12), internal=True),
    ]
    first = only(clocks(received, events, as_of=ams(2025, 3, 3, 15)), FR)
    assert first.stopped_at is None
    assert first.breached
    assert first.breached_at == ams(2025, 3, 3, 14)
    assert (
        first.explanation[-1]
        == "breached: still running 1h past due as of Mon 03 Mar 2025 15:00 CET"
    )


def test_received_outside_service_hours_starts_at_the_next_service_minute() -> None:
    # Friday 17:30: the clock starts Monday 09:00; 240 minutes -> Monday 13:00.
    first = only(clocks(ams(2025, 3, 7, 17, 30), as_of=ams(2025, 3, 8)), FR)
    assert first.started_at == ams(2025, 3, 10, 9)
    assert first.due_at == ams(2025, 3, 10, 13)
    assert first.explanation[1] == (
        "received Fri 07 Mar 2025 17:30 CET outside service hours; "
        "the clock starts Mon 10 Mar 2025 09:00 CET"
    )


def test_a_reply_before_the_clock_starts_meets_it() -> None:
    first = only(
        clocks(ams(2025, 3, 8, 10), [staff(ams(2025, 3, 8, 11))], as_of=ams(2025, 3, 10, 12)), FR
    )
    assert first.started_at == ams(2025, 3, 10, 9)
    assert first.stopped_at == ams(2025, 3, 8, 11)
    assert not first.breached
    assert "first public staff reply, before the clock started" in first.explanation[-2]


def test_stopped_exactly_at_due_is_met_and_a_second_later_is_breached() -> None:
    received = ams(2025, 3, 3, 10)
    on_time = only(clocks(received, [staff(ams(2025, 3, 3, 14))], as_of=ams(2025, 3, 4)), FR)
    assert not on_time.breached
    late = only(
        clocks(
            received, [staff(ams(2025, 3, 3, 14) + timedelta(seconds=1))], as_of=ams(2025, 3, 4)
        ),
        FR,
    )
    assert late.breached
    assert late.breached_at == ams(2025, 3, 3, 14)
    assert late.explanation[-1] == "breached: stopped 0m after due"
    # Running and exactly at due: not yet breached.
    assert not only(clocks(received, as_of=ams(2025, 3, 3, 14)), FR).breached


# -- next response -------------------------------------------------------------------------


def test_next_response_cycles_restart_at_every_exchange() -> None:
    received = ams(2025, 3, 3, 9)
    events = [
        customer(ams(2025, 3, 3, 9, 30)),  # before the first response: not a cycle
        staff(ams(2025, 3, 3, 10)),  # first response
        customer(ams(2025, 3, 3, 11)),  # cycle 1 starts
        customer(ams(2025, 3, 3, 11, 30)),  # still cycle 1: already awaiting an answer
        staff(ams(2025, 3, 3, 12), internal=True),  # does not answer
        staff(ams(2025, 3, 3, 14)),  # cycle 1 stops an hour late: it was due 13:00
        customer(ams(2025, 3, 3, 16, 30), automated=True),  # an auto-reply awaits nothing
        customer(ams(2025, 3, 3, 16, 45)),  # cycle 2: 15 minutes today, 105 tomorrow
        staff(ams(2025, 3, 4, 10)),  # cycle 2 stops, on time (due Tuesday 10:45)
        customer(ams(2025, 3, 4, 11)),  # cycle 3, still running
    ]
    found = clocks(received, events, as_of=ams(2025, 3, 4, 12))
    cycles = [clock for clock in found if clock.metric is NR]
    assert [clock.cycle for clock in cycles] == [1, 2, 3]
    assert [c.metric for c in found] == [FR, NR, NR, NR, RES]
    one, two, three = cycles
    assert (one.started_at, one.due_at, one.stopped_at) == (
        ams(2025, 3, 3, 11),
        ams(2025, 3, 3, 13),
        ams(2025, 3, 3, 14),
    )
    assert one.breached
    assert (two.started_at, two.due_at, two.stopped_at) == (
        ams(2025, 3, 3, 16, 45),
        ams(2025, 3, 4, 10, 45),
        ams(2025, 3, 4, 10),
    )
    assert not two.breached
    assert (three.started_at, three.due_at, three.stopped_at) == (
        ams(2025, 3, 4, 11),
        ams(2025, 3, 4, 13),
        None,
    )
    assert three.explanation[1].startswith("customer replied Tue 04 Mar 2025 11:00 CET")


def test_a_customer_message_outside_hours_starts_its_cycle_at_opening() -> None:
    events = [staff(ams(2025, 3, 7, 10)), customer(ams(2025, 3, 7, 20))]
    cycle = only(clocks(ams(2025, 3, 7, 9), events, as_of=ams(2025, 3, 8)), NR)
    assert cycle.started_at == ams(2025, 3, 10, 9)
    assert cycle.due_at == ams(2025, 3, 10, 11)


def test_closing_stops_the_response_clocks_and_a_message_on_a_closed_case_awaits_nothing() -> None:
    received = ams(2025, 3, 3, 10)
    events = [
        status(ams(2025, 3, 3, 10, 30), "CLOSED"),  # closed without a reply (a duplicate)
        customer(ams(2025, 3, 3, 11)),  # "thanks": the case stays closed
    ]
    found = clocks(received, events, as_of=ams(2025, 3, 10))
    assert [c.metric for c in found] == [FR, RES]
    first, resolution = found
    assert first.stopped_at == ams(2025, 3, 3, 10, 30)
    assert "case closed" in first.explanation[-2]
    assert resolution.stopped_at == ams(2025, 3, 3, 10, 30)
    assert not first.breached and not resolution.breached


def test_a_reopening_customer_message_starts_a_cycle() -> None:
    # The reopen is listed before the reply that caused it, at the same instant.
    events = [
        staff(ams(2025, 3, 3, 10)),
        status(ams(2025, 3, 3, 10, 5), "CLOSED"),
        status(ams(2025, 3, 4, 9, 30), "OPEN"),
        customer(ams(2025, 3, 4, 9, 30)),
    ]
    cycle = only(clocks(ams(2025, 3, 3, 9), events, as_of=ams(2025, 3, 4, 10)), NR)
    assert (cycle.started_at, cycle.due_at) == (ams(2025, 3, 4, 9, 30), ams(2025, 3, 4, 11, 30))


def test_closing_stops_a_running_next_response_cycle() -> None:
    events = [
        staff(ams(2025, 3, 3, 10)),
        customer(ams(2025, 3, 3, 11)),
        status(ams(2025, 3, 3, 12), "CLOSED"),
    ]
    cycle = only(clocks(ams(2025, 3, 3, 9), events, as_of=ams(2025, 3, 5)), NR)
    assert cycle.stopped_at == ams(2025, 3, 3, 12)
    assert not cycle.breached


# -- resolution, pauses, reopening ---------------------------------------------------------


def test_pending_pauses_resolution_in_business_minutes_across_nights() -> None:
    # Priority III received Monday 09:00: 960 business minutes without pauses would
    # be due Tuesday 17:00. PENDING from Monday 16:00 to Wednesday 10:00 pauses 60
    # (Monday) + 480 (Tuesday) + 60 (Wednesday) = 600 business minutes, so the due time
    # moves by 600: Monday 09:00-16:00 ran 420, Wednesday from 10:00 needs 540 more:
    # 420 on Wednesday to 17:00, 120 on Thursday: Thursday 11:00.
    received = ams(2025, 3, 3, 9)
    events = [status(ams(2025, 3, 3, 16), "PENDING"), status(ams(2025, 3, 5, 10), "OPEN")]
    resolution = only(clocks(received, events, as_of=ams(2025, 3, 5, 12)), RES)
    assert resolution.due_at == ams(2025, 3, 6, 11)
    assert resolution.paused_minutes == 600
    assert len(resolution.pauses) == 1
    assert resolution.pauses[0].reason == "PENDING"
    assert (
        "paused Mon 03 Mar 2025 16:00 CET to Wed 05 Mar 2025 10:00 CET while PENDING "
        "(10h of business time)"
    ) in resolution.explanation
    # The response clock does not pause.
    assert only(clocks(received, events, as_of=ams(2025, 3, 5, 12)), FR).paused_minutes == 0


def test_while_pending_there_is_no_due_time_until_it_resumes() -> None:
    received = ams(2025, 3, 3, 9)
    events = [status(ams(2025, 3, 3, 16), "PENDING")]
    resolution = only(clocks(received, events, as_of=ams(2025, 3, 4, 12)), RES)
    assert resolution.paused
    assert resolution.due_at is None
    assert not resolution.breached
    # 60 minutes on Monday, 180 on Tuesday so far.
    assert resolution.paused_minutes == 240
    assert "paused since Mon 03 Mar 2025 16:00 CET while PENDING (4h of business time so far)" in (
        resolution.explanation
    )
    assert "no due time while paused: it moves until the clock resumes" in resolution.explanation


def test_a_breach_before_the_pause_stays_visible_while_paused() -> None:
    # Priority I: resolution due Monday 17:00 (received 09:00). Pending from Tuesday.
    events = [status(ams(2025, 3, 4, 10), "PENDING")]
    resolution = only(clocks(ams(2025, 3, 3, 9), events, as_of=ams(2025, 3, 5), prio="I"), RES)
    assert resolution.due_at == ams(2025, 3, 3, 17)
    assert resolution.breached and resolution.paused


def test_pending_before_the_clock_starts_only_counts_from_the_start() -> None:
    # Received Saturday; pending from Saturday to Monday 10:00: the clock started
    # Monday 09:00, so 60 minutes were paused; 960 from Monday 10:00 is Wednesday 10:00.
    events = [status(ams(2025, 3, 8, 12), "PENDING"), status(ams(2025, 3, 10, 10), "WORKING")]
    resolution = only(clocks(ams(2025, 3, 8, 11), events, as_of=ams(2025, 3, 10, 12)), RES)
    assert resolution.started_at == ams(2025, 3, 10, 9)
    assert resolution.paused_minutes == 60
    assert resolution.pauses[0].start == ams(2025, 3, 10, 9)
    assert resolution.due_at == ams(2025, 3, 12, 10)


def test_reopening_resumes_resolution_and_the_closed_time_does_not_count() -> None:
    # Received Monday 09:00 (III, 960). Closed Monday 13:00 after 240 minutes; reopened
    # Wednesday 13:00 (the time closed, 240 + 480 + 240 = 960, does not count); 720
    # left: Wednesday 13:00-17:00 240, Thursday 480: due Thursday 17:00.
    received = ams(2025, 3, 3, 9)
    events = [
        staff(ams(2025, 3, 3, 10)),
        status(ams(2025, 3, 3, 13), "CLOSED"),
        status(ams(2025, 3, 5, 13), "OPEN"),
    ]
    closed = only(clocks(received, events, as_of=ams(2025, 3, 4)), RES)
    assert closed.stopped_at == ams(2025, 3, 3, 13)
    assert closed.due_at == ams(2025, 3, 4, 17)
    reopened = only(clocks(received, events, as_of=ams(2025, 3, 5, 14)), RES)
    assert reopened.stopped_at is None
    assert reopened.due_at == ams(2025, 3, 6, 17)
    assert reopened.paused_minutes == 960
    assert reopened.pauses[0].reason == "CLOSED"
    assert (
        "closed Mon 03 Mar 2025 13:00 CET and reopened Wed 05 Mar 2025 13:00 CET: "
        "the 16h of business time in between does not count"
    ) in reopened.explanation
    # Closed for good on Thursday 12:00: met.
    final = only(
        clocks(received, [*events, status(ams(2025, 3, 6, 12), "CLOSED")], as_of=ams(2025, 3, 10)),
        RES,
    )
    assert final.stopped_at == ams(2025, 3, 6, 12)
    assert not final.breached


def test_reopening_into_pending_stays_paused() -> None:
    events = [
        status(ams(2025, 3, 3, 13), "CLOSED"),
        status(ams(2025, 3, 4, 9), "PENDING"),
        status(ams(2025, 3, 4, 13), "OPEN"),
    ]
    resolution = only(clocks(ams(2025, 3, 3, 9), events, as_of=ams(2025, 3, 4, 14)), RES)
    assert [pause.reason for pause in resolution.pauses] == ["CLOSED", "PENDING"]
    # Monday 13:00 to Tuesday 13:00 is 240 + 240 business minutes.
    assert resolution.paused_minutes == 480


def test_status_changes_that_do_not_pause() -> None:
    events = [
        status(ams(2025, 3, 3, 9, 1), "OPEN"),
        status(ams(2025, 3, 3, 10), "WORKING"),
        status(ams(2025, 3, 3, 11), "ESCALATED"),
        status(ams(2025, 3, 3, 12), "WITH_DEVELOPMENT"),
        status(ams(2025, 3, 3, 12), "WITH_DEVELOPMENT"),
    ]
    resolution = only(clocks(ams(2025, 3, 3, 9), events, as_of=ams(2025, 3, 3, 13)), RES)
    assert resolution.pauses == ()
    assert resolution.due_at == ams(2025, 3, 4, 17)


# -- priorities ------------------------------------------------------------------------------


def test_a_priority_change_recomputes_due_times_from_the_original_start() -> None:
    # Received Monday 10:00 as III (first response 240 -> 14:00). Raised to I at 10:30:
    # 60 minutes from the original start: 11:00. Resolution 480 from 10:00: Tuesday 10:00.
    received = ams(2025, 3, 3, 10)
    found = clocks(
        received, [priority(ams(2025, 3, 3, 10, 30), "I")], as_of=ams(2025, 3, 3, 10, 45)
    )
    first, resolution = only(found, FR), only(found, RES)
    assert (first.priority, first.target_minutes, first.due_at) == ("I", 60, ams(2025, 3, 3, 11))
    assert resolution.due_at == ams(2025, 3, 4, 10)
    assert first.explanation[0].startswith(
        "FIRST_RESPONSE target for priority I: 60 business minutes"
    )
    assert (
        "priority changed from III to I at Mon 03 Mar 2025 10:30 CET: "
        "due time recomputed from the original start"
    ) in first.explanation


def test_raising_the_priority_late_can_breach_at_once() -> None:
    # III received Monday 10:00; raised to I at 13:00: due 11:00, already past.
    received = ams(2025, 3, 3, 10)
    first = only(
        clocks(received, [priority(ams(2025, 3, 3, 13), "I")], as_of=ams(2025, 3, 3, 13)), FR
    )
    assert first.due_at == ams(2025, 3, 3, 11)
    assert first.breached
    assert first.breached_at == ams(2025, 3, 3, 11)


def test_lowering_the_priority_after_a_breach_does_not_undo_it() -> None:
    # I received Monday 10:00: first response due 11:00. Nobody answers; at 12:00 the
    # case is lowered to III (due 14:00) and answered at 13:00, within the new target.
    received = ams(2025, 3, 3, 10)
    events = [priority(ams(2025, 3, 3, 12), "III"), staff(ams(2025, 3, 3, 13))]
    first = only(clocks(received, events, as_of=ams(2025, 3, 4), prio="I"), FR)
    assert first.priority == "III"
    assert first.due_at == ams(2025, 3, 3, 14)
    assert first.stopped_at == ams(2025, 3, 3, 13)
    assert first.breached
    assert first.breached_at == ams(2025, 3, 3, 11)
    assert (
        "it had already breached at Mon 03 Mar 2025 11:00 CET under priority I; the breach stands"
    ) in first.explanation
    assert first.explanation[-1] == "within the recomputed due time, but the earlier breach stands"
    # Lowered before the first due time passed: no breach.
    early = only(
        clocks(
            received,
            [priority(ams(2025, 3, 3, 10, 30), "III"), staff(ams(2025, 3, 3, 13))],
            as_of=ams(2025, 3, 4),
            prio="I",
        ),
        FR,
    )
    assert not early.breached


def test_a_priority_change_leaves_stopped_clocks_alone() -> None:
    # Answered at 13:00 as III (due 14:00): on time. Raising to I later does not turn
    # that answer into a breach; the running resolution clock follows the change.
    received = ams(2025, 3, 3, 10)
    events = [staff(ams(2025, 3, 3, 13)), priority(ams(2025, 3, 3, 15), "I")]
    found = clocks(received, events, as_of=ams(2025, 3, 3, 16))
    first, resolution = only(found, FR), only(found, RES)
    assert (first.priority, first.due_at, first.breached) == ("III", ams(2025, 3, 3, 14), False)
    assert (resolution.priority, resolution.due_at) == ("I", ams(2025, 3, 4, 10))


def test_a_priority_change_keeps_the_pauses() -> None:
    # III received Monday 09:00, PENDING Monday 10:00-Tuesday 10:00 (480 paused).
    # Raised to I on Tuesday 11:00: 480 from the original start, plus the pause:
    # Monday 09:00-10:00 is 60, then 420 from Tuesday 10:00: Tuesday 17:00.
    events = [
        status(ams(2025, 3, 3, 10), "PENDING"),
        status(ams(2025, 3, 4, 10), "OPEN"),
        priority(ams(2025, 3, 4, 11), "I"),
    ]
    resolution = only(clocks(ams(2025, 3, 3, 9), events, as_of=ams(2025, 3, 4, 12)), RES)
    assert resolution.due_at == ams(2025, 3, 4, 17)
    assert resolution.paused_minutes == 480


def test_next_response_cycles_take_the_priority_of_their_time() -> None:
    sla = policy([target(FR, 240), target(NR, 30, "I"), target(NR, 120)])
    events = [
        staff(ams(2025, 3, 3, 10)),
        customer(ams(2025, 3, 3, 11)),
        staff(ams(2025, 3, 3, 11, 45)),  # cycle 1 as III: 120, met
        priority(ams(2025, 3, 3, 12), "I"),
        customer(ams(2025, 3, 3, 13)),  # cycle 2 as I: 30 -> 13:30
    ]
    one, two = [
        c
        for c in clocks(ams(2025, 3, 3, 9), events, as_of=ams(2025, 3, 3, 14), sla=sla)
        if c.metric is NR
    ]
    assert (one.priority, one.target_minutes, one.breached) == ("III", 120, False)
    assert (two.priority, two.target_minutes, two.due_at, two.breached) == (
        "I",
        30,
        ams(2025, 3, 3, 13, 30),
        True,
    )


# -- targets -------------------------------------------------------------------------------


def test_a_metric_without_a_target_has_no_clock() -> None:
    sla = policy([target(FR, 60)])
    events = [staff(ams(2025, 3, 3, 10)), customer(ams(2025, 3, 3, 11))]
    assert [
        c.metric for c in clocks(ams(2025, 3, 3, 9), events, as_of=ams(2025, 3, 4), sla=sla)
    ] == [FR]
    only_for_one = policy([target(RES, 60, "I")])
    assert clocks(ams(2025, 3, 3, 9), as_of=ams(2025, 3, 4), sla=only_for_one) == []
    assert len(clocks(ams(2025, 3, 3, 9), as_of=ams(2025, 3, 4), sla=only_for_one, prio="I")) == 1


def test_calendar_time_targets_start_at_once_and_ignore_hours() -> None:
    sla = policy([target(FR, 60, business=False)])
    # Saturday 03:00 + 60 calendar minutes = Saturday 04:00.
    first = only(clocks(ams(2025, 3, 8, 3), as_of=ams(2025, 3, 8, 3, 30), sla=sla), FR)
    assert (first.started_at, first.due_at, first.business_time) == (
        ams(2025, 3, 8, 3),
        ams(2025, 3, 8, 4),
        False,
    )
    assert (
        first.explanation[1]
        == "received Sat 08 Mar 2025 03:00 CET; calendar time, every minute counts"
    )


def test_calendar_time_pauses_count_every_minute() -> None:
    sla = policy([target(RES, 600, business=False)])
    events = [status(ams(2025, 3, 8, 1), "PENDING"), status(ams(2025, 3, 8, 3), "OPEN")]
    resolution = only(clocks(ams(2025, 3, 8, 0), events, as_of=ams(2025, 3, 8, 4), sla=sla), RES)
    assert resolution.paused_minutes == 120
    assert resolution.due_at == ams(2025, 3, 8, 12)


WINDOWED = policy(
    [
        target(FR, 15, business=False, scheduled_visit=True),
        target(
            FR,
            120,
            business=False,
            window={
                "timezone": "America/New_York",
                "days": ["mon", "tue", "wed", "thu", "fri"],
                "start": "07:00",
                "end": "22:00",
            },
        ),
        target(FR, 480, business=False),
    ]
)


@pytest.mark.parametrize(
    ("received", "minutes"),
    [
        (datetime(2025, 3, 4, 7, 0, tzinfo=NY), 120),  # opens the window
        (datetime(2025, 3, 4, 21, 59, 59, tzinfo=NY), 120),
        (datetime(2025, 3, 4, 22, 0, tzinfo=NY), 480),  # the window's end is exclusive
        (datetime(2025, 3, 4, 6, 59, tzinfo=NY), 480),
        (datetime(2025, 3, 8, 12, 0, tzinfo=NY), 480),  # Saturday
        (datetime(2025, 3, 7, 21, 30, tzinfo=NY), 120),  # Friday night, still inside
    ],
)
def test_window_targets_are_chosen_where_the_clock_starts(received: datetime, minutes: int) -> None:
    first = only(clocks(received, as_of=received, sla=WINDOWED), FR)
    assert first.target_minutes == minutes
    assert first.due_at == received + minutes * MINUTE
    where = "inside" if minutes == 120 else "outside"
    assert first.explanation[0].endswith(
        f"the clock started {where} Mon-Fri 07:00-22:00 America/New_York"
    )
    assert select_target(WINDOWED, FR, "III", received) is not None
    assert select_target(WINDOWED, FR, "III", received).minutes == minutes


def test_scheduled_visit_targets_apply_only_to_visits() -> None:
    received = datetime(2025, 3, 4, 10, 0, tzinfo=NY)
    visit = only(clocks(received, as_of=received, sla=WINDOWED, scheduled_visit=True), FR)
    assert (visit.target_minutes, visit.due_at) == (15, received + 15 * MINUTE)
    assert "during a scheduled customer visit" in visit.explanation[0]
    assert only(clocks(received, as_of=received, sla=WINDOWED), FR).target_minutes == 120


# -- as of, and refusals -------------------------------------------------------------------


def test_events_after_as_of_are_ignored() -> None:
    received = ams(2025, 3, 3, 10)
    events = [staff(ams(2025, 3, 3, 12)), status(ams(2025, 3, 3, 13), "CLOSED")]
    before = clocks(received, events, as_of=ams(2025, 3, 3, 11))
    assert all(clock.stopped_at is None for clock in before)
    after = clocks(received, events, as_of=ams(2025, 3, 3, 14))
    assert all(clock.stopped_at is not None for clock in after)


def test_events_may_come_unordered_and_in_any_zone() -> None:
    received = ams(2025, 3, 3, 10)
    events = [
        staff(datetime(2025, 3, 3, 8, 0, tzinfo=NY)),  # 14:00 Amsterdam
        staff(ams(2025, 3, 3, 11)),
    ]
    first = only(clocks(received, events, as_of=ams(2025, 3, 4)), FR)
    assert first.stopped_at == ams(2025, 3, 3, 11)
    assert first.stopped_at.tzinfo is UTC


def test_event_kinds_may_be_plain_strings() -> None:
    event = SlaEvent(ams(2025, 3, 3, 11), "STATUS_CHANGE", status="PENDING")
    assert event.kind is SlaEventKind.STATUS_CHANGE
    assert event.status is TicketStatus.PENDING


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: SlaEvent(datetime(2025, 3, 3), SlaEventKind.STAFF_REPLY), "naive"),
        (lambda: SlaEvent(ams(2025, 3, 3), SlaEventKind.STATUS_CHANGE), "needs the new status"),
        (lambda: SlaEvent(ams(2025, 3, 3), SlaEventKind.PRIORITY_CHANGE), "needs the new priority"),
        (lambda: SlaEvent(ams(2025, 3, 3), "LIKE"), "is not a valid SlaEventKind"),
        (lambda: clocks(ams(2025, 3, 3), as_of=ams(2025, 3, 2)), "as_of precedes received_at"),
        (lambda: clocks(ams(2025, 3, 3), as_of=ams(2025, 3, 4), prio="IV"), "priority 'IV'"),
        (
            lambda: clocks(
                ams(2025, 3, 3), [priority(ams(2025, 3, 3, 1), "IV")], as_of=ams(2025, 3, 4)
            ),
            "priority 'IV'",
        ),
        (
            lambda: clocks(ams(2025, 3, 3), [staff(ams(2025, 3, 2))], as_of=ams(2025, 3, 4)),
            "precedes receipt",
        ),
        (lambda: clocks(datetime(2025, 3, 3), as_of=ams(2025, 3, 4)), "naive"),
    ],
)
def test_refusals(call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


# -- warnings ------------------------------------------------------------------------------


def test_warning_at_a_fraction_of_the_target() -> None:
    # III first response received Monday 10:00, 240 minutes: 75% is 180 -> 13:00.
    first = only(clocks(ams(2025, 3, 3, 10), as_of=ams(2025, 3, 3, 10)), FR)
    assert warning_at(first, 0.75, calendar=CAL) == ams(2025, 3, 3, 13)
    assert warning_at(first, 1, calendar=CAL) == first.due_at
    assert warning_at(first, 0.5, calendar=CAL) == ams(2025, 3, 3, 12)
    # Received Friday 16:00: 75% of 240 lands Monday 11:00 (60 Friday, 120 Monday).
    late = only(clocks(ams(2025, 3, 7, 16), as_of=ams(2025, 3, 7, 16)), FR)
    assert warning_at(late, 0.75, calendar=CAL) == ams(2025, 3, 10, 11)
    with pytest.raises(ValueError, match="positive"):
        warning_at(first, 0, calendar=CAL)


def test_warning_honours_pauses_and_stops() -> None:
    # Resolution III from Monday 09:00 (960); pending Monday 12:00-Tuesday 12:00
    # (480 paused). 75% = 720: 180 on Monday, then 540 from Tuesday 12:00: 300 on
    # Tuesday, 240 on Wednesday: Wednesday 13:00.
    received = ams(2025, 3, 3, 9)
    events = [status(ams(2025, 3, 3, 12), "PENDING"), status(ams(2025, 3, 4, 12), "OPEN")]
    resolution = only(clocks(received, events, as_of=ams(2025, 3, 4, 13)), RES)
    assert warning_at(resolution, 0.75, calendar=CAL) == ams(2025, 3, 5, 13)
    # Paused before the warning point: no instant yet. Past it: the instant stands.
    paused = only(clocks(received, events[:1], as_of=ams(2025, 3, 4)), RES)
    assert warning_at(paused, 0.75, calendar=CAL) is None
    assert warning_at(paused, 0.1, calendar=CAL) == ams(2025, 3, 3, 10, 36)
    stopped = only(
        clocks(received, [status(ams(2025, 3, 3, 10), "CLOSED")], as_of=ams(2025, 3, 4)), RES
    )
    assert warning_at(stopped, 0.75, calendar=CAL) is None


def test_warning_in_calendar_time() -> None:
    sla = policy([target(FR, 15, business=False)])
    first = only(clocks(ams(2025, 3, 8, 3), as_of=ams(2025, 3, 8, 3), sla=sla), FR)
    # 75% of 15 minutes: 11 minutes 15 seconds.
    assert warning_at(first, 0.75, calendar=CAL) == ams(2025, 3, 8, 3, 11) + timedelta(seconds=15)


# -- properties ----------------------------------------------------------------------------

KINDS = [
    lambda at: staff(at),
    lambda at: staff(at, automated=True),
    lambda at: staff(at, internal=True),
    lambda at: customer(at),
    lambda at: customer(at, automated=True),
    *[lambda at, s=s: status(at, s) for s in TicketStatus],
    *[lambda at, p=p: priority(at, p) for p in ("I", "II", "III")],
]


@st.composite
def timelines(draw: st.DrawFn) -> tuple[datetime, list[SlaEvent]]:
    received = ams(2025, 3, 3) + draw(st.integers(0, 14 * 1440)) * MINUTE
    offsets = sorted(draw(st.lists(st.integers(0, 10 * 1440), max_size=12)))
    events = [draw(st.sampled_from(KINDS))(received + offset * MINUTE) for offset in offsets]
    return received, events


PROPERTY_POLICY = policy(
    [
        target(FR, 60, "I"),
        target(FR, 240),
        target(NR, 120),
        target(RES, 480, "I"),
        target(RES, 90, "II", business=False),
        target(RES, 960),
    ]
)


@settings(max_examples=150, deadline=None)
@given(
    timeline=timelines(),
    horizon=st.integers(0, 20 * 1440),
    prio=st.sampled_from(["I", "II", "III"]),
)
def test_clock_invariants(
    timeline: tuple[datetime, list[SlaEvent]], horizon: int, prio: str
) -> None:
    received, events = timeline
    as_of = received + horizon * MINUTE
    found = clocks(received, events, as_of=as_of, prio=prio, sla=PROPERTY_POLICY)
    metrics = [clock.metric for clock in found]
    assert metrics[0] is FR and metrics[-1] is RES
    assert [clock.cycle for clock in found if clock.metric is NR] == list(
        range(1, metrics.count(NR) + 1)
    )
    for clock in found:
        assert clock.started_at >= received
        assert clock.paused_minutes >= 0
        assert clock.explanation
        if clock.stopped_at is not None:
            assert clock.stopped_at <= as_of
        if clock.due_at is not None:
            assert clock.due_at > clock.started_at
            # The due time is where the target, net of pauses, has elapsed.
            assert warning_at(clock, 1, calendar=CAL) in (clock.due_at, None)
            if as_of > clock.due_at and clock.stopped_at is None:
                assert clock.breached
            if clock.stopped_at is None and not clock.paused:
                early, late = (
                    warning_at(clock, 0.5, calendar=CAL),
                    warning_at(clock, 0.75, calendar=CAL),
                )
                assert early is not None and late is not None
                assert clock.started_at <= early <= late <= clock.due_at
        if clock.breached:
            assert clock.breached_at is not None
            assert clock.breached_at <= (clock.stopped_at or as_of)
        else:
            assert clock.breached_at is None
        if clock.pauses:
            assert clock.metric is RES


@settings(max_examples=100, deadline=None)
@given(
    timeline=timelines(), prio=st.sampled_from(["I", "II", "III"]), later=st.integers(1, 5 * 1440)
)
def test_a_stopped_clock_does_not_change_as_time_passes(
    timeline: tuple[datetime, list[SlaEvent]], prio: str, later: int
) -> None:
    received, events = timeline
    as_of = (events[-1].at if events else received) + MINUTE
    first = clocks(received, events, as_of=as_of, prio=prio, sla=PROPERTY_POLICY)
    second = clocks(received, events, as_of=as_of + later * MINUTE, prio=prio, sla=PROPERTY_POLICY)
    for before, after in zip(first, second, strict=False):
        if before.stopped_at is not None:
            assert replace(before, explanation=()) == replace(after, explanation=())
