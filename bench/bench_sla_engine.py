"""The pure SLA engine on one core: due-time computations and clock computations per second.

docs/performance.md's goal is at least 100 000 due-time computations per second per core on
business calendars with holidays. A due-time computation here is what the engine does
for every business clock: the instant ``target`` business minutes after a case's
arrival (counted from the next service minute when it arrives outside hours). Arrival
times are random over several years, so the per-year tables and holiday sets are
exercised across year ends; they are warmed up first and their one-off cost is printed
separately.

Also printed: full clock computations (first response, next-response cycles,
resolution, with explanations) for a typical six-event case history.

Each figure is a bounded loop of about two seconds of CPU time, counted per CPU second
(per core). Prints figures; asserts nothing.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from _goals import record

from careplane_shared.sla_policy import CalendarSpec, SlaPolicy
from tickets.sla.calendar import BusinessCalendar
from tickets.sla.clocks import compute_clocks
from tickets.sla.model import SlaEvent, SlaEventKind, TicketStatus

SECONDS = 2.0
BATCH = 1_000
YEARS = range(2024, 2029)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def business_calendar(zone: str, opens: str, closes: str, **holidays: str) -> CalendarSpec:
    hours = {day: [[opens, closes]] for day in WEEKDAYS}
    return CalendarSpec.model_validate({"timezone": zone, "hours": hours, **holidays})


CALENDARS = {
    "InfoCare Broomfield (America/Denver 08-17, US holidays)": business_calendar(
        "America/Denver", "08:00", "17:00", holiday_country="US"
    ),
    "InfoCare Wallingford (Europe/London 08-17, England)": business_calendar(
        "Europe/London", "08:00", "17:00", holiday_country="GB", holiday_subdivision="ENG"
    ),
    "Invantive (Europe/Amsterdam 09-17, Dutch holidays)": business_calendar(
        "Europe/Amsterdam", "09:00", "17:00", holiday_country="NL"
    ),
}
# The business-minute targets of the demo plans: InfoCare and Invantive I/II/III.
TARGETS = [120, 1440, 480, 960, 1440, 4800, 14400, 43200]

INVANTIVE = SlaPolicy.model_validate(
    {
        "calendar": CALENDARS["Invantive (Europe/Amsterdam 09-17, Dutch holidays)"].model_dump(
            mode="json"
        ),
        "priorities": ["I", "II", "III"],
        "default_priority": "III",
        "targets": [
            {
                "metric": "FIRST_RESPONSE",
                "minutes": 480,
                "business_time": True,
                "priorities": ["I"],
            },
            {"metric": "FIRST_RESPONSE", "minutes": 1440, "business_time": True},
            {"metric": "NEXT_RESPONSE", "minutes": 480, "business_time": True},
            {"metric": "RESOLUTION", "minutes": 4800, "business_time": True, "priorities": ["I"]},
            {"metric": "RESOLUTION", "minutes": 43200, "business_time": True},
        ],
    }
)


def random_arrivals(count: int, seed: int) -> list[datetime]:
    rng = random.Random(seed)
    start = datetime(YEARS.start, 1, 1, tzinfo=UTC)
    span = int((datetime(YEARS.stop, 1, 1, tzinfo=UTC) - start).total_seconds())
    return [start + timedelta(seconds=rng.randrange(span)) for _ in range(count)]


def per_second(run_batch: Callable[[int], None]) -> float:
    """Calls ``run_batch(offset)`` (BATCH operations each) for about SECONDS of this
    process's CPU time; operations per CPU second, i.e. per core. CPU time, not wall time:
    on a machine shared with other work the figure is the engine's, not the machine's."""
    done, offset = 0, 0
    began = time.process_time()
    while (elapsed := time.process_time() - began) < SECONDS:
        run_batch(offset)
        done += BATCH
        offset += BATCH
    return done / elapsed


def typical_case(received: datetime) -> list[SlaEvent]:
    def later(hours: float) -> datetime:
        return received + timedelta(hours=hours)

    return [
        SlaEvent(later(0), SlaEventKind.STAFF_REPLY, automated=True),
        SlaEvent(later(3), SlaEventKind.STAFF_REPLY),
        SlaEvent(later(3.1), SlaEventKind.STATUS_CHANGE, status=TicketStatus.PENDING),
        SlaEvent(later(30), SlaEventKind.CUSTOMER_REPLY),
        SlaEvent(later(30), SlaEventKind.STATUS_CHANGE, status=TicketStatus.OPEN),
        SlaEvent(later(50), SlaEventKind.STAFF_REPLY),
    ]


def main() -> None:
    arrivals = random_arrivals(50_000, seed=7)
    targets = [TARGETS[index % len(TARGETS)] for index in range(len(arrivals))]
    print(f"arrivals: {len(arrivals)} random instants in {YEARS.start}-{YEARS.stop - 1}")
    slowest: tuple[float, str] | None = None
    for name, spec in CALENDARS.items():
        calendar = BusinessCalendar(spec)
        began = time.perf_counter()
        for year in range(YEARS.start, YEARS.stop + 2):
            calendar.add_business_minutes(datetime(year, 6, 1, tzinfo=UTC), 1)
        warm_up_ms = (time.perf_counter() - began) * 1000 / (len(YEARS) + 2)

        def due_times(offset: int, calendar: BusinessCalendar = calendar) -> None:
            add = calendar.add_business_minutes
            for index in range(offset % len(arrivals), offset % len(arrivals) + BATCH):
                add(arrivals[index % len(arrivals)], targets[index % len(targets)])

        def measured(offset: int, calendar: BusinessCalendar = calendar) -> None:
            between = calendar.business_minutes_between
            for index in range(offset % len(arrivals), offset % len(arrivals) + BATCH):
                start = arrivals[index % len(arrivals)]
                between(start, start + timedelta(days=3))

        print(f"{name}")
        print(f"  per-year tables built in {warm_up_ms:.1f} ms each (once per calendar and year)")
        rate = per_second(due_times)
        print(f"  due-time computations: {rate:>12,.0f} /s of CPU")
        if slowest is None or rate < slowest[0]:
            slowest = (rate, name.split(" (")[0])
        print(f"  business time between: {per_second(measured):>12,.0f} /s of CPU")

    if slowest is not None:
        record("sla_due_times_per_second", slowest[0], f"slowest calendar: {slowest[1]}")

    calendar = BusinessCalendar.for_spec(INVANTIVE.calendar)
    cases = [(received, typical_case(received)) for received in arrivals[:2_000]]
    priorities = ("I", "II", "III")

    def clock_computations(offset: int) -> None:
        for index in range(offset, offset + BATCH):
            received, events = cases[index % len(cases)]
            compute_clocks(
                INVANTIVE,
                calendar,
                priority=priorities[index % 3],
                received_at=received,
                events=events,
                as_of=received + timedelta(days=30),
            )

    received, events = cases[0]
    example = compute_clocks(
        INVANTIVE,
        calendar,
        priority="III",
        received_at=received,
        events=events,
        as_of=received + timedelta(days=30),
    )
    clocks_per_case = len(example)
    print(f"Invantive clocks for a six-event case ({clocks_per_case} clocks with explanations)")
    print(f"  clock computations:    {per_second(clock_computations):>12,.0f} cases/s of CPU")


if __name__ == "__main__":
    main()
