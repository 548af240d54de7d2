"""The business calendar: service hours, holidays and daylight saving, exactly.

Expected instants are worked out by hand in the comments. A brute-force reference that
steps minute by minute (here only, never in the engine) cross-checks the fast
interval arithmetic on random calendars and instants.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from functools import cache
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from careplane_shared.sla_policy import WEEKDAYS, CalendarSpec, clock_minutes
from tickets.sla.calendar import BusinessCalendar

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NEW_YORK = ZoneInfo("America/New_York")
BRISBANE = ZoneInfo("Australia/Brisbane")
LONDON = ZoneInfo("Europe/London")
DENVER = ZoneInfo("America/Denver")
MOSCOW = ZoneInfo("Europe/Moscow")
MINUTE = timedelta(minutes=1)
WORKDAYS = ("mon", "tue", "wed", "thu", "fri")


def calendar(
    zone: str,
    hours: dict[str, list[list[str]]] | None = None,
    *,
    opens: str = "09:00",
    closes: str = "17:00",
    **fields: Any,
) -> BusinessCalendar:
    if hours is None:
        hours = {day: [[opens, closes]] for day in WORKDAYS}
    return BusinessCalendar(
        CalendarSpec.model_validate({"timezone": zone, "hours": hours, **fields})
    )


def every_day(intervals: list[list[str]]) -> dict[str, list[list[str]]]:
    return {day: intervals for day in WEEKDAYS}


def local(zone: ZoneInfo, *parts: int, fold: int = 0) -> datetime:
    """A local wall-clock time, as UTC: aware datetimes in a repeated hour never compare
    equal across zones (PEP 495), so tests compare UTC instants."""
    return datetime(*parts, tzinfo=zone, fold=fold).astimezone(UTC)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# -- the API's own example and the basics ------------------------------------------------


def test_sixty_minutes_from_monday_16_00_are_due_monday_17_00() -> None:
    # docs/api.md: "60 business minutes from Monday 16:00 in a 09:00-17:00 calendar is due
    # Monday 17:00, not Tuesday 09:00".
    cal = calendar("Europe/Amsterdam")
    due = cal.add_business_minutes(local(AMSTERDAM, 2025, 3, 3, 16, 0), 60)
    assert due == local(AMSTERDAM, 2025, 3, 3, 17, 0)
    assert due.tzinfo is UTC
    # One more minute does roll over to Tuesday.
    assert cal.add_business_minutes(local(AMSTERDAM, 2025, 3, 3, 16, 0), 61) == local(
        AMSTERDAM, 2025, 3, 4, 9, 1
    )


def test_interval_bounds_start_inclusive_end_exclusive() -> None:
    cal = calendar("Europe/Amsterdam")
    assert cal.is_open(local(AMSTERDAM, 2025, 3, 3, 9, 0))
    assert cal.is_open(local(AMSTERDAM, 2025, 3, 3, 16, 59, 59))
    assert not cal.is_open(local(AMSTERDAM, 2025, 3, 3, 17, 0))
    assert not cal.is_open(local(AMSTERDAM, 2025, 3, 3, 8, 59, 59))
    assert not cal.is_open(local(AMSTERDAM, 2025, 3, 8, 12, 0))  # Saturday


def test_next_open() -> None:
    cal = calendar("Europe/Amsterdam")
    inside = local(AMSTERDAM, 2025, 3, 3, 10, 15, 30)
    assert cal.next_open(inside) == inside
    # At closing time the desk is closed: the next service minute is tomorrow 09:00.
    assert cal.next_open(local(AMSTERDAM, 2025, 3, 3, 17, 0)) == local(AMSTERDAM, 2025, 3, 4, 9, 0)
    # Friday evening: Monday morning.
    assert cal.next_open(local(AMSTERDAM, 2025, 3, 7, 17, 30)) == local(
        AMSTERDAM, 2025, 3, 10, 9, 0
    )
    assert cal.next_open(local(AMSTERDAM, 2025, 3, 3, 6, 0)) == local(AMSTERDAM, 2025, 3, 3, 9, 0)


def test_zero_minutes_is_the_start_itself_even_when_closed() -> None:
    cal = calendar("Europe/Amsterdam")
    saturday = local(AMSTERDAM, 2025, 3, 8, 12, 0)
    assert cal.add_business_minutes(saturday, 0) == saturday
    assert cal.add_business_minutes(cal.next_open(saturday), 0) == local(AMSTERDAM, 2025, 3, 10, 9)


def test_adding_from_a_closed_instant_counts_from_the_next_opening() -> None:
    cal = calendar("Europe/Amsterdam")
    # Friday 17:30: nothing counts until Monday 09:00; 90 minutes later is 10:30.
    assert cal.add_business_minutes(local(AMSTERDAM, 2025, 3, 7, 17, 30), 90) == local(
        AMSTERDAM, 2025, 3, 10, 10, 30
    )


def test_seconds_are_kept_and_minutes_between_are_whole() -> None:
    cal = calendar("Europe/Amsterdam")
    start = local(AMSTERDAM, 2025, 3, 3, 10, 0, 30)
    assert cal.add_business_minutes(start, 60) == local(AMSTERDAM, 2025, 3, 3, 11, 0, 30)
    # 16:59:30 + 1 minute: 30 seconds today, 30 seconds tomorrow.
    assert cal.add_business_minutes(local(AMSTERDAM, 2025, 3, 3, 16, 59, 30), 1) == local(
        AMSTERDAM, 2025, 3, 4, 9, 0, 30
    )
    assert cal.business_minutes_between(start, local(AMSTERDAM, 2025, 3, 3, 11, 0, 29)) == 59
    assert cal.business_time_between(start, local(AMSTERDAM, 2025, 3, 3, 11, 0, 29)) == timedelta(
        minutes=59, seconds=59
    )
    assert cal.business_minutes_between(local(AMSTERDAM, 2025, 3, 3, 11, 0, 29), start) == -59


def test_between_over_nights_weekends_and_backwards() -> None:
    cal = calendar("Europe/Amsterdam")
    friday_16 = local(AMSTERDAM, 2025, 3, 7, 16, 0)
    monday_10 = local(AMSTERDAM, 2025, 3, 10, 10, 0)
    assert cal.business_minutes_between(friday_16, monday_10) == 120
    assert cal.business_minutes_between(monday_10, friday_16) == -120
    assert cal.business_minutes_between(friday_16, friday_16) == 0
    # A whole week: five days of eight hours.
    assert cal.business_minutes_between(monday_10, monday_10 + timedelta(days=7)) == 5 * 480


def test_several_intervals_a_day() -> None:
    cal = calendar("Europe/Amsterdam", {"mon": [["08:00", "12:00"], ["13:00", "17:00"]]})
    # 11:30 + 60: 30 minutes before lunch, 30 after it.
    assert cal.add_business_minutes(local(AMSTERDAM, 2025, 3, 3, 11, 30), 60) == local(
        AMSTERDAM, 2025, 3, 3, 13, 30
    )
    # Exactly the morning's remainder: due at 12:00, not at 13:00.
    assert cal.add_business_minutes(local(AMSTERDAM, 2025, 3, 3, 11, 30), 30) == local(
        AMSTERDAM, 2025, 3, 3, 12, 0
    )
    assert not cal.is_open(local(AMSTERDAM, 2025, 3, 3, 12, 30))
    # Monday only: 8 hours a week. 480 + 1 minutes from Monday 08:00 is next Monday 08:01.
    assert cal.add_business_minutes(local(AMSTERDAM, 2025, 3, 3, 8, 0), 481) == local(
        AMSTERDAM, 2025, 3, 10, 8, 1
    )


def test_touching_intervals_and_midnight_join() -> None:
    # Open from Monday 18:00 straight through to Tuesday 06:00.
    cal = calendar(
        "Europe/Amsterdam",
        {
            "mon": [["09:00", "12:00"], ["12:00", "13:00"], ["18:00", "24:00"]],
            "tue": [["00:00", "06:00"]],
        },
    )
    assert cal.add_business_minutes(local(AMSTERDAM, 2025, 3, 3, 11, 0), 120) == local(
        AMSTERDAM, 2025, 3, 3, 13, 0
    )
    assert cal.add_business_minutes(local(AMSTERDAM, 2025, 3, 3, 23, 0), 120) == local(
        AMSTERDAM, 2025, 3, 4, 1, 0
    )
    assert cal.open_intervals(local(AMSTERDAM, 2025, 3, 3), local(AMSTERDAM, 2025, 3, 5)) == [
        (local(AMSTERDAM, 2025, 3, 3, 9), local(AMSTERDAM, 2025, 3, 3, 13)),
        (local(AMSTERDAM, 2025, 3, 3, 18), local(AMSTERDAM, 2025, 3, 4, 6)),
    ]


def test_zero_length_days() -> None:
    # Wednesday has no hours at all: Tuesday 16:00 + 120 is Thursday 10:00.
    hours: dict[str, list[list[str]]] = {day: [["09:00", "17:00"]] for day in WORKDAYS}
    hours["wed"] = []
    cal = calendar("Europe/Amsterdam", hours)
    assert cal.add_business_minutes(local(AMSTERDAM, 2025, 3, 4, 16, 0), 120) == local(
        AMSTERDAM, 2025, 3, 6, 10, 0
    )
    assert (
        cal.business_minutes_between(local(AMSTERDAM, 2025, 3, 5), local(AMSTERDAM, 2025, 3, 6))
        == 0
    )
    assert cal.next_open(local(AMSTERDAM, 2025, 3, 5, 12)) == local(AMSTERDAM, 2025, 3, 6, 9)


def test_a_week_of_vendor_holidays_is_jumped_over() -> None:
    week = [date(2025, 3, 10) + timedelta(days=offset) for offset in range(5)]
    cal = calendar("Europe/Amsterdam", extra_holidays=[day.isoformat() for day in week])
    # Friday 7 March 16:00 + 120: 60 on Friday, the whole next week closed, then 60.
    assert cal.add_business_minutes(local(AMSTERDAM, 2025, 3, 7, 16, 0), 120) == local(
        AMSTERDAM, 2025, 3, 17, 10, 0
    )
    assert all(cal.is_holiday(day) for day in week)
    assert not cal.is_holiday(date(2025, 3, 17))


def test_naive_datetimes_are_refused() -> None:
    cal = calendar("Europe/Amsterdam")
    naive = datetime(2025, 3, 3, 10, 0)
    aware = utc(2025, 3, 3, 10, 0)
    for call in (
        lambda: cal.is_open(naive),
        lambda: cal.next_open(naive),
        lambda: cal.add_business_minutes(naive, 5),
        lambda: cal.add_business_time(naive, MINUTE),
        lambda: cal.business_minutes_between(naive, aware),
        lambda: cal.business_minutes_between(aware, naive),
        lambda: cal.open_intervals(naive, aware),
    ):
        with pytest.raises(ValueError, match="naive datetime"):
            call()


def test_negative_amounts_are_refused() -> None:
    cal = calendar("Europe/Amsterdam")
    with pytest.raises(ValueError, match="negative"):
        cal.add_business_minutes(utc(2025, 3, 3), -1)
    with pytest.raises(ValueError, match="negative"):
        cal.add_business_time(utc(2025, 3, 3), -MINUTE)


def test_any_aware_datetime_in_utc_out() -> None:
    cal = calendar("Europe/Amsterdam")
    tokyo = datetime(2025, 3, 3, 23, 0, tzinfo=ZoneInfo("Asia/Tokyo"))  # 15:00 Amsterdam
    due = cal.add_business_minutes(tokyo, 60)
    assert due == local(AMSTERDAM, 2025, 3, 3, 16, 0)
    assert due.tzinfo is UTC
    assert cal.next_open(tokyo).tzinfo is UTC


def test_unresolved_and_unknown_calendars_are_refused() -> None:
    with pytest.raises(ValueError, match="resolve the policy"):
        calendar("Europe/Amsterdam", use_customer_center=True)
    with pytest.raises(ValueError, match="no holiday calendar for ZZ"):
        calendar("Europe/Amsterdam", holiday_country="ZZ")
    with pytest.raises(ValueError, match="no holiday calendar for GB"):
        calendar("Europe/London", holiday_country="GB", holiday_subdivision="XYZ")


def test_a_calendar_whose_hours_are_all_holidays_fails_instead_of_spinning() -> None:
    mondays = [date(2025, 1, 6) + timedelta(weeks=week) for week in range(52 * 13)]
    cal = calendar(
        "Europe/Amsterdam",
        {"mon": [["09:00", "17:00"]]},
        extra_holidays=[day.isoformat() for day in mondays],
    )
    with pytest.raises(ValueError, match="no service hours for 10 years"):
        cal.add_business_minutes(utc(2025, 1, 1), 1)
    with pytest.raises(ValueError, match="no service hours for 10 years"):
        cal.next_open(utc(2025, 1, 1))


def test_shared_instances_per_spec() -> None:
    spec = CalendarSpec.model_validate(
        {"timezone": "Europe/Amsterdam", "hours": {"mon": [["09:00", "17:00"]]}}
    )
    same = CalendarSpec.model_validate_json(spec.model_dump_json())
    assert BusinessCalendar.for_spec(spec) is BusinessCalendar.for_spec(same)
    other = spec.model_copy(update={"timezone": "Europe/London"})
    assert BusinessCalendar.for_spec(other) is not BusinessCalendar.for_spec(spec)


def test_always_open_is_calendar_time() -> None:
    cal = BusinessCalendar(CalendarSpec(timezone="America/New_York", always_open=True))
    start = local(NEW_YORK, 2025, 11, 1, 23, 0)
    assert cal.is_open(start)
    assert cal.next_open(start) == start
    # Eight real hours across the fall-back night: 23:00 EDT + 8h = 06:00 EST.
    assert cal.add_business_minutes(start, 480) == local(NEW_YORK, 2025, 11, 2, 6, 0)
    assert cal.business_minutes_between(start, local(NEW_YORK, 2025, 11, 2, 6, 0)) == 480
    assert cal.open_intervals(start, start + MINUTE) == [(start, start + MINUTE)]


def test_describe_uses_local_time() -> None:
    cal = calendar("Europe/Amsterdam")
    assert cal.describe(utc(2025, 3, 7, 16, 30)) == "Fri 07 Mar 2025 17:30 CET"
    assert cal.describe(utc(2025, 7, 7, 16, 30, 15)) == "Mon 07 Jul 2025 18:30:15 CEST"


# -- daylight saving -----------------------------------------------------------------------


def test_amsterdam_spring_forward_on_a_24_hour_sunday() -> None:
    # 30 March 2025: 02:00 CET jumps to 03:00 CEST. The Sunday has 23 real hours.
    cal = calendar("Europe/Amsterdam", {"sun": [["00:00", "24:00"]]})
    assert (
        cal.business_minutes_between(local(AMSTERDAM, 2025, 3, 30), local(AMSTERDAM, 2025, 3, 31))
        == 23 * 60
    )
    # 01:30 CET + 60 real minutes = 03:30 CEST (00:30 UTC + 1h = 01:30 UTC).
    assert cal.add_business_minutes(local(AMSTERDAM, 2025, 3, 30, 1, 30), 60) == utc(
        2025, 3, 30, 1, 30
    )


def test_amsterdam_spring_forward_skipped_hour_is_never_open() -> None:
    # Service 02:00-03:00 on Sundays: on 30 March 2025 that hour does not exist.
    cal = calendar("Europe/Amsterdam", {"sun": [["02:00", "03:00"]]})
    assert (
        cal.business_minutes_between(local(AMSTERDAM, 2025, 3, 30), local(AMSTERDAM, 2025, 3, 31))
        == 0
    )
    assert (
        cal.business_minutes_between(local(AMSTERDAM, 2025, 3, 23), local(AMSTERDAM, 2025, 3, 24))
        == 60
    )
    # The next opening after Saturday 29 March is therefore Sunday 6 April 02:00 CEST.
    assert cal.next_open(local(AMSTERDAM, 2025, 3, 29, 12)) == local(AMSTERDAM, 2025, 4, 6, 2, 0)
    # An interval that straddles the gap keeps only its real minutes: 01:00-04:00 is 2h.
    straddling = calendar("Europe/Amsterdam", {"sun": [["01:00", "04:00"]]})
    assert straddling.open_intervals(
        local(AMSTERDAM, 2025, 3, 30), local(AMSTERDAM, 2025, 3, 31)
    ) == [(utc(2025, 3, 30, 0, 0), utc(2025, 3, 30, 2, 0))]


def test_amsterdam_fall_back_on_a_24_hour_sunday() -> None:
    # 26 October 2025: 03:00 CEST falls back to 02:00 CET. The Sunday has 25 real hours.
    cal = calendar("Europe/Amsterdam", {"sun": [["00:00", "24:00"]]})
    assert (
        cal.business_minutes_between(local(AMSTERDAM, 2025, 10, 26), local(AMSTERDAM, 2025, 10, 27))
        == 25 * 60
    )
    start = local(AMSTERDAM, 2025, 10, 26, 1, 30)  # 23:30 UTC the day before
    # +60: 02:30 CEST (first pass, 00:30 UTC); +120: 02:30 CET (second pass, 01:30 UTC).
    assert cal.add_business_minutes(start, 60) == local(AMSTERDAM, 2025, 10, 26, 2, 30, fold=0)
    assert cal.add_business_minutes(start, 60) == utc(2025, 10, 26, 0, 30)
    assert cal.add_business_minutes(start, 120) == local(AMSTERDAM, 2025, 10, 26, 2, 30, fold=1)
    assert cal.add_business_minutes(start, 120) == utc(2025, 10, 26, 1, 30)


def test_amsterdam_fall_back_repeated_hour_counts_twice() -> None:
    # Service 02:00-03:00: on 26 October 2025 both passes through 02:xx are served.
    cal = calendar("Europe/Amsterdam", {"sun": [["02:00", "03:00"]]})
    assert cal.open_intervals(local(AMSTERDAM, 2025, 10, 26), local(AMSTERDAM, 2025, 10, 27)) == [
        (utc(2025, 10, 26, 0, 0), utc(2025, 10, 26, 2, 0))
    ]
    # 01:00-02:30 is served on the first pass through 01:00-02:30 CEST and again on the
    # second pass through 02:00-02:30 CET: 90 + 30 minutes in two separate periods.
    cal = calendar("Europe/Amsterdam", {"sun": [["01:00", "02:30"]]})
    assert cal.open_intervals(local(AMSTERDAM, 2025, 10, 26), local(AMSTERDAM, 2025, 10, 27)) == [
        (utc(2025, 10, 25, 23, 0), utc(2025, 10, 26, 0, 30)),
        (utc(2025, 10, 26, 1, 0), utc(2025, 10, 26, 1, 30)),
    ]
    assert not cal.is_open(utc(2025, 10, 26, 0, 45))  # 02:45 CEST
    assert cal.is_open(utc(2025, 10, 26, 1, 15))  # 02:15 CET


def test_new_york_both_transitions() -> None:
    cal = calendar("America/New_York", every_day([["00:00", "24:00"]]))
    # 9 March 2025: 02:00 EST -> 03:00 EDT; 2 November 2025: 02:00 EDT -> 01:00 EST.
    assert (
        cal.business_minutes_between(local(NEW_YORK, 2025, 3, 9), local(NEW_YORK, 2025, 3, 10))
        == 1380
    )
    assert (
        cal.business_minutes_between(local(NEW_YORK, 2025, 11, 2), local(NEW_YORK, 2025, 11, 3))
        == 1500
    )
    # 01:30 EST + 60 = 03:30 EDT; 00:30 EDT + 120 = 01:30 EST (second pass).
    assert cal.add_business_minutes(local(NEW_YORK, 2025, 3, 9, 1, 30), 60) == local(
        NEW_YORK, 2025, 3, 9, 3, 30
    )
    assert cal.add_business_minutes(local(NEW_YORK, 2025, 11, 2, 0, 30), 120) == local(
        NEW_YORK, 2025, 11, 2, 1, 30, fold=1
    )


def test_weekday_hours_across_the_dst_weekend_keep_local_time() -> None:
    # Friday 28 March 2025 16:00 CET (15:00 UTC) + 120: 60 on Friday, then Monday
    # 31 March 09:00 CEST (07:00 UTC) + 60 = 10:00 CEST, 08:00 UTC: the UTC offset
    # changed over the weekend, the local opening hour did not.
    cal = calendar("Europe/Amsterdam")
    due = cal.add_business_minutes(local(AMSTERDAM, 2025, 3, 28, 16, 0), 120)
    assert due == local(AMSTERDAM, 2025, 3, 31, 10, 0)
    assert due == utc(2025, 3, 31, 8, 0)
    assert cal.business_minutes_between(local(AMSTERDAM, 2025, 3, 28, 16, 0), due) == 120


def test_brisbane_has_no_daylight_saving() -> None:
    cal = calendar("Australia/Brisbane", every_day([["00:00", "24:00"]]))
    # Sydney moves its clocks on 6 April and 5 October 2025; Brisbane never does.
    for day in (date(2025, 4, 6), date(2025, 10, 5)):
        start = datetime.combine(day, datetime.min.time(), tzinfo=BRISBANE)
        assert cal.business_minutes_between(start, start + timedelta(days=1)) == 1440
        assert cal.add_business_minutes(start, 1440) == start + timedelta(days=1)


def test_half_hour_daylight_saving_of_lord_howe() -> None:
    # Lord Howe Island shifts by 30 minutes: 5 October 2025 02:00 -> 02:30.
    zone = ZoneInfo("Australia/Lord_Howe")
    cal = calendar("Australia/Lord_Howe", every_day([["00:00", "24:00"]]))
    start = datetime(2025, 10, 5, tzinfo=zone)
    assert cal.business_minutes_between(start, datetime(2025, 10, 6, tzinfo=zone)) == 1410


# -- holidays ------------------------------------------------------------------------------


def test_dutch_holidays() -> None:
    cal = calendar("Europe/Amsterdam", holiday_country="NL")
    # King's Day, Monday 27 April 2026: Friday 24 April 16:00 + 120 is Tuesday 28 10:00.
    assert cal.add_business_minutes(local(AMSTERDAM, 2026, 4, 24, 16, 0), 120) == local(
        AMSTERDAM, 2026, 4, 28, 10, 0
    )
    # Christmas: Wednesday 24 December 2025 16:00 + 120 skips 25 and 26 December and
    # the weekend: Monday 29 December 10:00.
    assert cal.add_business_minutes(local(AMSTERDAM, 2025, 12, 24, 16, 0), 120) == local(
        AMSTERDAM, 2025, 12, 29, 10, 0
    )
    assert cal.is_holiday(date(2025, 6, 9))  # Whit Monday
    assert not cal.is_holiday(date(2025, 6, 10))


def test_friday_evening_before_a_holiday_monday() -> None:
    # Friday 6 June 2025 18:30 CEST arrives after hours, Monday 9 June is Whit Monday:
    # the clock starts Tuesday 10 June 09:00 and 60 minutes are due at 10:00.
    cal = calendar("Europe/Amsterdam", holiday_country="NL")
    friday_evening = local(AMSTERDAM, 2025, 6, 6, 18, 30)
    assert cal.next_open(friday_evening) == local(AMSTERDAM, 2025, 6, 10, 9, 0)
    assert cal.add_business_minutes(friday_evening, 60) == local(AMSTERDAM, 2025, 6, 10, 10, 0)


def test_us_holidays_in_denver() -> None:
    cal = calendar("America/Denver", opens="08:00", closes="17:00", holiday_country="US")
    # Friday 29 August 2025 16:00 MDT + 120: 60 on Friday, Monday 1 September is
    # Labor Day, Tuesday 08:00 + 60 = 09:00 MDT.
    assert cal.add_business_minutes(local(DENVER, 2025, 8, 29, 16, 0), 120) == local(
        DENVER, 2025, 9, 2, 9, 0
    )
    # Thanksgiving, Thursday 27 November 2025: Wednesday 16:30 + 60 is Friday 08:30.
    assert cal.add_business_minutes(local(DENVER, 2025, 11, 26, 16, 30), 60) == local(
        DENVER, 2025, 11, 28, 8, 30
    )


def test_english_bank_holidays_and_the_year_end() -> None:
    cal = calendar(
        "Europe/London",
        holiday_country="GB",
        holiday_subdivision="ENG",
        extra_holidays=["2025-12-29", "2025-12-30", "2025-12-31"],
    )
    # Wednesday 24 December 2025 16:30 + 120: 30 minutes that day; Christmas Day,
    # Boxing Day, the weekend, the vendor's own 29-31 December and New Year's Day are
    # closed; Friday 2 January 2026 09:00 + 90 = 10:30.
    assert cal.add_business_minutes(local(LONDON, 2025, 12, 24, 16, 30), 120) == local(
        LONDON, 2026, 1, 2, 10, 30
    )
    assert (
        cal.business_minutes_between(local(LONDON, 2025, 12, 24), local(LONDON, 2026, 1, 3))
        == 2 * 480
    )
    # The late summer bank holiday, Monday 25 August 2025, is English, not Scottish.
    assert cal.is_holiday(date(2025, 8, 25))
    scottish = calendar("Europe/London", holiday_country="GB", holiday_subdivision="SCT")
    assert not scottish.is_holiday(date(2025, 8, 25))


def test_queensland_easter_and_anzac_day() -> None:
    cal = calendar(
        "Australia/Brisbane",
        opens="08:00",
        closes="17:00",
        holiday_country="AU",
        holiday_subdivision="QLD",
    )
    # Thursday 17 April 2025 16:00 + 120: 60 that day; Good Friday 18 April and
    # Easter Monday 21 April are closed; Tuesday 22 April 08:00 + 60 = 09:00.
    assert cal.add_business_minutes(local(BRISBANE, 2025, 4, 17, 16, 0), 120) == local(
        BRISBANE, 2025, 4, 22, 9, 0
    )
    # Anzac Day, Friday 25 April 2025: Thursday 16:00 + 120 is Monday 28 April 09:00.
    assert cal.add_business_minutes(local(BRISBANE, 2025, 4, 24, 16, 0), 120) == local(
        BRISBANE, 2025, 4, 28, 9, 0
    )


def test_russian_new_year_holidays_are_a_long_run() -> None:
    cal = calendar("Europe/Moscow", opens="09:00", closes="18:00", holiday_country="RU")
    # Tuesday 30 December 2025 17:00 + 480: 60 that day; 31 December 2025 (a moved
    # day off) through Friday 9 January 2026 (another moved day off) are closed, then
    # the weekend; Monday 12 January 09:00 + 420 = 16:00.
    assert cal.add_business_minutes(local(MOSCOW, 2025, 12, 30, 17, 0), 480) == local(
        MOSCOW, 2026, 1, 12, 16, 0
    )


def test_long_targets_and_spans_of_years() -> None:
    cal = calendar("Europe/Amsterdam", holiday_country="NL")
    start = local(AMSTERDAM, 2025, 1, 2, 9, 0)
    # 90 business days of 8 hours.
    due = cal.add_business_minutes(start, 43200)
    assert cal.business_minutes_between(start, due) == 43200
    # Jan 2 2025 to Jan 2 2028: every working day of three years, minus the holidays
    # that fall on weekdays, counted straight from the holidays package here.
    holiday_days = holidays.country_holidays("NL", years=range(2025, 2029))
    working_days = sum(
        1
        for offset in range((date(2028, 1, 2) - date(2025, 1, 2)).days)
        if (day := date(2025, 1, 2) + timedelta(days=offset)).weekday() < 5
        and day not in holiday_days
    )
    end = local(AMSTERDAM, 2028, 1, 2, 9, 0)
    assert cal.business_minutes_between(start, end) == working_days * 480
    assert cal.add_business_minutes(start, working_days * 480) == local(
        AMSTERDAM, 2027, 12, 31, 17, 0
    )


def test_a_24_hour_calendar_across_the_utc_new_year() -> None:
    # Kolkata is UTC+05:30: local midnight on 1 January is 18:30 UTC on 31 December,
    # so the engine's per-UTC-year tables split local days; nothing may be lost.
    zone = ZoneInfo("Asia/Kolkata")
    cal = calendar("Asia/Kolkata", every_day([["00:00", "24:00"]]), extra_holidays=["2026-01-01"])
    start = datetime(2025, 12, 31, 12, 0, tzinfo=zone)
    assert cal.business_minutes_between(start, datetime(2026, 1, 2, 12, 0, tzinfo=zone)) == 24 * 60
    # 12 hours from noon on 31 December end exactly at local midnight; one minute more
    # skips the closed 1 January and ends at 00:01 on 2 January.
    assert cal.add_business_minutes(start, 12 * 60) == datetime(2026, 1, 1, 0, 0, tzinfo=zone)
    assert cal.add_business_minutes(start, 12 * 60 + 1) == datetime(2026, 1, 2, 0, 1, tzinfo=zone)
    assert cal.is_open(utc(2025, 12, 31, 18, 29))
    assert not cal.is_open(utc(2025, 12, 31, 18, 30))


# -- a brute-force reference, for the tests only --------------------------------------------


@cache
def _reference_holidays(country: str, subdivision: str | None) -> holidays.HolidayBase:
    return holidays.country_holidays(country, subdiv=subdivision)


class Reference:
    """Minute by minute: a minute is open when its local wall-clock reading lies in a
    service interval of its local date, and that date is not a holiday."""

    def __init__(self, spec: CalendarSpec) -> None:
        self.zone = ZoneInfo(spec.timezone)
        self.hours = [
            [(clock_minutes(a), clock_minutes(b)) for a, b in spec.hours.for_weekday(weekday)]
            for weekday in range(7)
        ]
        self.extra = set(spec.extra_holidays)
        self.public = (
            _reference_holidays(spec.holiday_country, spec.holiday_subdivision)
            if spec.holiday_country
            else None
        )

    def open(self, at: datetime) -> bool:
        wall = at.astimezone(self.zone)
        day = wall.date()
        if day in self.extra or (self.public is not None and day in self.public):
            return False
        minute = wall.hour * 60 + wall.minute
        return any(a <= minute < b for a, b in self.hours[day.weekday()])

    def add(self, start: datetime, minutes: int, limit: int) -> datetime | None:
        at, counted = start, 0
        for _ in range(limit):
            if counted == minutes:
                return at
            if self.open(at):
                counted += 1
            at += MINUTE
        return at if counted == minutes else None

    def between(self, start: datetime, end: datetime) -> int:
        at, counted = start, 0
        while at < end:
            counted += self.open(at)
            at += MINUTE
        return counted

    def next_open(self, start: datetime, limit: int) -> datetime | None:
        at = start
        for _ in range(limit):
            if self.open(at):
                return at
            at += MINUTE
        return None


ZONES = [
    "Europe/Amsterdam",
    "America/New_York",
    "Australia/Brisbane",
    "Europe/London",
    "America/Denver",
    "Europe/Moscow",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "America/St_Johns",
    "Pacific/Chatham",
    "UTC",
]
HOLIDAY_SETS = [None, ("NL", None), ("US", None), ("GB", "ENG"), ("AU", "QLD"), ("RU", None)]
# Instants near which something happens: DST switches in both directions (Europe, US,
# Lord Howe, Chatham), year ends, Easter and Christmas runs.
HOTSPOTS = [
    utc(2025, 3, 30, 1),
    utc(2025, 10, 26, 1),
    utc(2025, 3, 9, 7),
    utc(2025, 11, 2, 6),
    utc(2025, 4, 5, 15),
    utc(2025, 10, 4, 15),
    utc(2025, 12, 31, 12),
    utc(2026, 12, 31, 23),
    utc(2025, 4, 18, 12),
    utc(2025, 12, 24, 12),
]


@st.composite
def day_hours(draw: st.DrawFn) -> list[list[str]]:
    shape = draw(st.sampled_from(["closed", "all day", "random", "random"]))
    if shape == "closed":
        return []
    if shape == "all day":
        return [["00:00", "24:00"]]
    # Quarter-hour and odd-minute bounds both occur in the wild.
    points = sorted(draw(st.sets(st.integers(0, 1440), min_size=2, max_size=6)))
    if len(points) % 2:
        points = points[:-1]
    return [[_clock(a), _clock(b)] for a, b in zip(points[::2], points[1::2], strict=True)]


def _clock(minute: int) -> str:
    return "24:00" if minute == 1440 else f"{minute // 60:02d}:{minute % 60:02d}"


@st.composite
def calendar_specs(draw: st.DrawFn) -> CalendarSpec:
    hours = {day: draw(day_hours()) for day in WEEKDAYS}
    if not any(hours.values()):
        hours[draw(st.sampled_from(WEEKDAYS))] = [["09:00", "17:00"]]
    country = draw(st.sampled_from(HOLIDAY_SETS))
    extra = draw(st.lists(st.dates(date(2025, 1, 1), date(2026, 12, 31)), max_size=8))
    return CalendarSpec.model_validate(
        {
            "timezone": draw(st.sampled_from(ZONES)),
            "hours": hours,
            "holiday_country": country[0] if country else None,
            "holiday_subdivision": country[1] if country else None,
            "extra_holidays": [day.isoformat() for day in extra],
        }
    )


def whole_minutes() -> st.SearchStrategy[datetime]:
    near_hotspot = st.builds(
        lambda spot, offset: spot + offset * MINUTE,
        st.sampled_from(HOTSPOTS),
        st.integers(-3 * 1440, 3 * 1440),
    )
    anywhere = st.builds(
        lambda offset: utc(2025, 1, 1) + offset * MINUTE, st.integers(0, 2 * 365 * 1440)
    )
    return st.one_of(near_hotspot, anywhere)


def instants() -> st.SearchStrategy[datetime]:
    return st.builds(
        lambda at, micro: at + timedelta(microseconds=micro),
        whole_minutes(),
        st.integers(0, 60_000_000 - 1) | st.just(0),
    )


REFERENCE_LIMIT = 12 * 1440
FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(spec=calendar_specs(), start=whole_minutes(), minutes=st.integers(0, 900))
def test_add_matches_the_minute_stepping_reference(
    spec: CalendarSpec, start: datetime, minutes: int
) -> None:
    expected = Reference(spec).add(start, minutes, REFERENCE_LIMIT)
    assume(expected is not None)
    assert BusinessCalendar.for_spec(spec).add_business_minutes(start, minutes) == expected


@FAST
@given(spec=calendar_specs(), start=whole_minutes(), span=st.integers(0, 4 * 1440))
def test_between_matches_the_minute_stepping_reference(
    spec: CalendarSpec, start: datetime, span: int
) -> None:
    end = start + span * MINUTE
    assert BusinessCalendar.for_spec(spec).business_minutes_between(start, end) == Reference(
        spec
    ).between(start, end)


@FAST
@given(spec=calendar_specs(), at=whole_minutes())
def test_open_and_next_open_match_the_reference(spec: CalendarSpec, at: datetime) -> None:
    cal, reference = BusinessCalendar.for_spec(spec), Reference(spec)
    assert cal.is_open(at) == reference.open(at)
    expected = reference.next_open(at, REFERENCE_LIMIT)
    assume(expected is not None)
    assert cal.next_open(at) == expected


@settings(max_examples=120, deadline=None)
@given(spec=calendar_specs(), start=instants(), minutes=st.integers(0, 50_000))
def test_between_inverts_add(spec: CalendarSpec, start: datetime, minutes: int) -> None:
    cal = BusinessCalendar.for_spec(spec)
    due = cal.add_business_minutes(start, minutes)
    assert cal.business_minutes_between(start, due) == minutes
    assert cal.business_time_between(start, due) == minutes * MINUTE
    assert due >= start
    if minutes:
        # The due instant is the end of a served minute: open just before it, and it
        # is the earliest such instant.
        assert cal.is_open(due - timedelta(microseconds=1))
        assert cal.add_business_minutes(cal.next_open(start), minutes) == due


@settings(max_examples=120, deadline=None)
@given(spec=calendar_specs(), at=instants())
def test_next_open_is_open_and_nothing_is_skipped(spec: CalendarSpec, at: datetime) -> None:
    cal = BusinessCalendar.for_spec(spec)
    opening = cal.next_open(at)
    assert opening >= at
    assert cal.is_open(opening)
    assert cal.business_time_between(at, opening) == timedelta(0)
    assert cal.add_business_minutes(opening, 0) == opening
    assert (opening == at) == cal.is_open(at)


@settings(max_examples=120, deadline=None)
@given(
    spec=calendar_specs(),
    start=instants(),
    first=st.integers(0, 20_000),
    second=st.integers(0, 20_000),
)
def test_add_is_monotonic_and_composes(
    spec: CalendarSpec, start: datetime, first: int, second: int
) -> None:
    cal = BusinessCalendar.for_spec(spec)
    small, large = sorted((first, second))
    assert cal.add_business_minutes(start, small) <= cal.add_business_minutes(start, large)
    if second:
        assert cal.add_business_minutes(cal.add_business_minutes(start, first), second) == (
            cal.add_business_minutes(start, first + second)
        )


@settings(max_examples=120, deadline=None)
@given(spec=calendar_specs(), points=st.lists(instants(), min_size=3, max_size=3))
def test_between_is_additive_and_monotonic(spec: CalendarSpec, points: list[datetime]) -> None:
    cal = BusinessCalendar.for_spec(spec)
    a, b, c = sorted(points)
    ab, bc, ac = (cal.business_time_between(x, y) for x, y in ((a, b), (b, c), (a, c)))
    assert ab + bc == ac
    assert timedelta(0) <= ab <= ac
    assert cal.business_time_between(c, a) == -ac


@settings(max_examples=60, deadline=None)
@given(spec=calendar_specs(), start=whole_minutes(), span=st.integers(1, 3 * 1440))
def test_open_intervals_agree_with_between(spec: CalendarSpec, start: datetime, span: int) -> None:
    cal = BusinessCalendar.for_spec(spec)
    end = start + span * MINUTE
    periods = cal.open_intervals(start, end)
    assert sum((b - a for a, b in periods), timedelta(0)) == cal.business_time_between(start, end)
    for (_, previous_end), (next_start, _) in pairwise(periods):
        assert previous_end < next_start
    for period_start, period_end in periods:
        assert cal.is_open(period_start)
        assert not cal.is_open(period_end) or period_end == end


def _minutes(start: datetime, count: int) -> Iterable[datetime]:
    return (start + offset * MINUTE for offset in range(count))


@pytest.mark.parametrize(
    ("zone", "week_start"),
    [
        ("Europe/Amsterdam", utc(2025, 3, 27)),
        ("Europe/Amsterdam", utc(2025, 10, 23)),
        ("America/New_York", utc(2025, 3, 6)),
        ("America/New_York", utc(2025, 10, 30)),
        ("Australia/Brisbane", utc(2025, 10, 2)),
        ("Australia/Lord_Howe", utc(2025, 10, 2)),
    ],
)
def test_every_minute_of_a_dst_week_matches_the_reference(zone: str, week_start: datetime) -> None:
    # Exhaustive: every minute of the week around the switch, for a calendar that is
    # open at the switch hours (nights and Sundays included).
    spec = CalendarSpec.model_validate(
        {
            "timezone": zone,
            "hours": {
                **every_day([["00:30", "02:15"], ["02:30", "03:00"], ["08:00", "17:00"]]),
                "sun": [["00:00", "24:00"]],
                "sat": [],
            },
        }
    )
    cal, reference = BusinessCalendar(spec), Reference(spec)
    served = 0
    for at in _minutes(week_start, 7 * 1440):
        is_open = reference.open(at)
        assert cal.is_open(at) == is_open, at
        served += is_open
    assert cal.business_minutes_between(week_start, week_start + timedelta(days=7)) == served
    for at in _minutes(week_start, 7 * 1440):
        for minutes in (1, 45, 60, 600):
            assert (
                cal.business_minutes_between(at, cal.add_business_minutes(at, minutes)) == minutes
            )
