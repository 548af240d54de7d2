"""The SLA policy data contract: what it accepts, what it refuses, how it round-trips."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from careplane_shared.sla_policy import (
    CalendarSpec,
    SlaMetric,
    SlaPolicy,
    TargetSpec,
    WindowSpec,
    clock_minutes,
)

WEEKDAYS_9_TO_5 = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


def policy_json(**overrides: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "calendar": {
            "timezone": "Europe/Amsterdam",
            "hours": WEEKDAYS_9_TO_5,
            "holiday_country": "NL",
            "extra_holidays": ["2025-12-24"],
        },
        "priorities": ["I", "II", "III"],
        "default_priority": "III",
        "targets": [
            {
                "metric": "FIRST_RESPONSE",
                "minutes": 480,
                "business_time": True,
                "priorities": ["I"],
            },
            {"metric": "RESOLUTION", "minutes": 43200, "business_time": True},
        ],
    }
    document.update(overrides)
    return document


def calendar_json(**overrides: Any) -> dict[str, Any]:
    document: dict[str, Any] = {"timezone": "Europe/Amsterdam", "hours": WEEKDAYS_9_TO_5}
    document.update(overrides)
    return document


def test_a_policy_round_trips_through_json() -> None:
    policy = SlaPolicy.model_validate(policy_json())
    again = SlaPolicy.model_validate_json(policy.model_dump_json())
    assert again == policy
    dumped = json.loads(policy.model_dump_json())
    assert dumped["calendar"]["hours"]["mon"] == [["09:00", "17:00"]]
    assert dumped["calendar"]["hours"]["sat"] == []
    assert dumped["calendar"]["extra_holidays"] == ["2025-12-24"]
    assert dumped["targets"][0]["metric"] == "FIRST_RESPONSE"
    assert dumped["targets"][1]["priorities"] is None
    assert policy.calendar.extra_holidays == [date(2025, 12, 24)]
    assert policy.targets[0].metric is SlaMetric.FIRST_RESPONSE


def test_several_intervals_a_day_and_a_day_ending_at_midnight() -> None:
    spec = CalendarSpec.model_validate(
        calendar_json(
            hours={"mon": [["08:00", "12:00"], ["13:00", "17:00"]], "sat": [["18:00", "24:00"]]}
        )
    )
    assert spec.hours.for_weekday(0) == [("08:00", "12:00"), ("13:00", "17:00")]
    assert spec.hours.for_weekday(5) == [("18:00", "24:00")]
    assert spec.hours.for_weekday(6) == []


def test_touching_intervals_are_allowed() -> None:
    CalendarSpec.model_validate(
        calendar_json(hours={"mon": [["00:00", "12:00"], ["12:00", "24:00"]]})
    )


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ({"mon": [["17:00", "09:00"]]}, "must end after it starts"),
        ({"mon": [["09:00", "09:00"]]}, "must end after it starts"),
        ({"mon": [["13:00", "17:00"], ["09:00", "12:00"]]}, "in order"),
        ({"mon": [["09:00", "13:00"], ["12:00", "17:00"]]}, "overlap"),
        ({"mon": [["24:00", "24:00"]]}, "must end after it starts"),
        ({"mon": [["9:00", "17:00"]]}, "HH:MM"),
        ({"mon": [["09:00", "24:01"]]}, "HH:MM"),
        ({"mon": [["09:00", "25:00"]]}, "HH:MM"),
        ({"mon": [["09:60", "17:00"]]}, "HH:MM"),
        ({"mon": [["09:00"]]}, "Field required"),
        ({"funday": [["09:00", "17:00"]]}, "Extra inputs"),
    ],
)
def test_service_hours_are_refused_when_malformed(hours: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        CalendarSpec.model_validate(calendar_json(hours=hours))


@pytest.mark.parametrize(
    "zone", ["Mars/Olympus_Mons", "", "CET+1", "../etc/passwd", "/etc/localtime"]
)
def test_unknown_time_zones_are_refused(zone: str) -> None:
    with pytest.raises(ValidationError, match="IANA"):
        CalendarSpec.model_validate(calendar_json(timezone=zone))


@pytest.mark.parametrize(
    "zone", ["Europe/Amsterdam", "America/New_York", "Australia/Brisbane", "UTC"]
)
def test_iana_time_zones_are_accepted(zone: str) -> None:
    assert CalendarSpec.model_validate(calendar_json(timezone=zone)).timezone == zone


def test_a_business_calendar_needs_hours() -> None:
    with pytest.raises(ValidationError, match="needs service hours"):
        CalendarSpec.model_validate({"timezone": "UTC"})


def test_an_always_open_calendar_has_neither_hours_nor_holidays() -> None:
    spec = CalendarSpec.model_validate({"timezone": "America/New_York", "always_open": True})
    assert spec.always_open
    with pytest.raises(ValidationError, match="no service hours"):
        CalendarSpec.model_validate(calendar_json(always_open=True))
    with pytest.raises(ValidationError, match="no holidays"):
        CalendarSpec.model_validate(
            {"timezone": "UTC", "always_open": True, "holiday_country": "US"}
        )
    with pytest.raises(ValidationError, match="no holidays"):
        CalendarSpec.model_validate(
            {"timezone": "UTC", "always_open": True, "extra_holidays": ["2025-01-01"]}
        )


def test_holiday_codes() -> None:
    spec = CalendarSpec.model_validate(
        calendar_json(holiday_country="GB", holiday_subdivision="ENG")
    )
    assert (spec.holiday_country, spec.holiday_subdivision) == ("GB", "ENG")
    with pytest.raises(ValidationError, match="needs holiday_country"):
        CalendarSpec.model_validate(calendar_json(holiday_subdivision="ENG"))
    with pytest.raises(ValidationError, match="pattern"):
        CalendarSpec.model_validate(calendar_json(holiday_country="nl"))
    with pytest.raises(ValidationError, match="pattern"):
        CalendarSpec.model_validate(calendar_json(holiday_country="NLD"))


def test_unknown_fields_are_refused_everywhere() -> None:
    with pytest.raises(ValidationError, match="Extra inputs"):
        SlaPolicy.model_validate(policy_json(colour="blue"))
    with pytest.raises(ValidationError, match="Extra inputs"):
        CalendarSpec.model_validate(calendar_json(country="NL"))
    with pytest.raises(ValidationError, match="Extra inputs"):
        TargetSpec.model_validate(
            {"metric": "RESOLUTION", "minutes": 1, "business_time": True, "hours": 1}
        )


def test_default_priority_must_be_a_priority() -> None:
    with pytest.raises(ValidationError, match="default_priority 'IV' is not in priorities"):
        SlaPolicy.model_validate(policy_json(default_priority="IV"))


def test_priorities_must_be_unique_and_present() -> None:
    with pytest.raises(ValidationError, match="must not repeat"):
        SlaPolicy.model_validate(policy_json(priorities=["I", "I", "III"]))
    with pytest.raises(ValidationError, match="at least 1 item"):
        SlaPolicy.model_validate(policy_json(priorities=[]))


def test_target_priorities_must_be_known() -> None:
    targets = [
        {"metric": "FIRST_RESPONSE", "minutes": 60, "business_time": True, "priorities": ["I", "X"]}
    ]
    with pytest.raises(ValidationError, match=r"targets\[0\] names unknown priorities \['X'\]"):
        SlaPolicy.model_validate(policy_json(targets=targets))


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ({"metric": "FIRST_RESPONSE", "minutes": 0, "business_time": True}, "greater than 0"),
        ({"metric": "FIRST_RESPONSE", "minutes": -5, "business_time": True}, "greater than 0"),
        ({"metric": "FIRST_REPLY", "minutes": 5, "business_time": True}, "FIRST_RESPONSE"),
        ({"metric": "FIRST_RESPONSE", "minutes": 5}, "Field required"),
        (
            {"metric": "FIRST_RESPONSE", "minutes": 5, "business_time": True, "priorities": []},
            "at least 1 item",
        ),
    ],
)
def test_malformed_targets_are_refused(target: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        SlaPolicy.model_validate(policy_json(targets=[target]))


def test_a_policy_may_commit_to_nothing() -> None:
    assert SlaPolicy.model_validate(policy_json(targets=[])).targets == []


def test_windows() -> None:
    window = WindowSpec.model_validate(
        {
            "timezone": "America/New_York",
            "days": ["mon", "tue", "wed", "thu", "fri"],
            "start": "07:00",
            "end": "22:00",
        }
    )
    assert window.days[0] == "mon"
    base = {"timezone": "America/New_York", "days": ["mon"], "start": "07:00", "end": "22:00"}
    with pytest.raises(ValidationError, match="end after it starts"):
        WindowSpec.model_validate({**base, "start": "22:00", "end": "07:00"})
    with pytest.raises(ValidationError, match="must not repeat"):
        WindowSpec.model_validate({**base, "days": ["mon", "mon"]})
    with pytest.raises(ValidationError, match="at least 1 item"):
        WindowSpec.model_validate({**base, "days": []})
    with pytest.raises(ValidationError, match="IANA"):
        WindowSpec.model_validate({**base, "timezone": "Eastern"})
    with pytest.raises(ValidationError, match="'mon'"):
        WindowSpec.model_validate({**base, "days": ["monday"]})


def test_clock_minutes() -> None:
    assert clock_minutes("00:00") == 0
    assert clock_minutes("09:30") == 570
    assert clock_minutes("23:59") == 1439
    assert clock_minutes("24:00") == 1440
    for bad in ("24:30", "7:00", "07:0", "ab:cd", "07:00:00"):
        with pytest.raises(ValueError, match="HH:MM"):
            clock_minutes(bad)


def test_resolving_the_customer_center_calendar() -> None:
    broomfield = CalendarSpec.model_validate(
        {
            "timezone": "America/Denver",
            "hours": {day: [["08:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
            "holiday_country": "US",
        }
    )
    wallingford = broomfield.model_copy(
        update={"timezone": "Europe/London", "holiday_country": "GB", "holiday_subdivision": "ENG"}
    )
    plan = SlaPolicy.model_validate(
        policy_json(calendar={**broomfield.model_dump(mode="json"), "use_customer_center": True})
    )
    for_wallingford = plan.resolved(wallingford)
    assert for_wallingford.calendar == wallingford
    assert not for_wallingford.calendar.use_customer_center
    assert for_wallingford.targets == plan.targets
    # Without a center the plan's own calendar is the fallback, resolved as well.
    fallback = plan.resolved(None)
    assert fallback.calendar.timezone == "America/Denver"
    assert not fallback.calendar.use_customer_center
    # A plan with its own calendar ignores the center.
    own = SlaPolicy.model_validate(policy_json())
    assert own.resolved(wallingford) is own
    with pytest.raises(ValueError, match="cannot defer"):
        plan.resolved(wallingford.model_copy(update={"use_customer_center": True}))
