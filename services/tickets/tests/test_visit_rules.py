"""The pure rules of visits and the on-call rota."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tickets.oncall.rules import Shift, calendar_days, on_call_at
from tickets.visits.rules import (
    MIN_LEAD,
    VisitRuleError,
    Window,
    check_lead_time,
    check_window,
    first_overlap,
    lead_time_ok,
    runs_at,
)

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
minutes = st.integers(min_value=-10_000, max_value=10_000).map(lambda m: timedelta(minutes=m))


@given(minutes)
def test_the_lead_time_is_exactly_48_hours(offset: timedelta) -> None:
    starts = T0 + MIN_LEAD + offset
    assert lead_time_ok(starts, T0) is (offset >= timedelta(0))


def test_refusals_carry_their_codes() -> None:
    with pytest.raises(VisitRuleError) as too_soon:
        check_lead_time(T0 + timedelta(hours=47, minutes=59), T0)
    assert too_soon.value.code == "VISIT_TOO_SOON"
    for starts, ends in ((T0, T0), (T0, T0 + timedelta(days=15))):
        with pytest.raises(VisitRuleError) as invalid:
            check_window(starts, ends)
        assert invalid.value.code == "VISIT_WINDOW_INVALID"


@given(minutes)
def test_a_confirmed_visit_runs_from_its_start_to_before_its_end(offset: timedelta) -> None:
    window = Window(T0, T0 + timedelta(hours=2), "CONFIRMED")
    at = T0 + offset
    assert runs_at(window, at) is (T0 <= at < T0 + timedelta(hours=2))
    assert not runs_at(Window(T0, T0 + timedelta(hours=2), "REQUESTED"), at)


def test_cancelled_visits_never_overlap() -> None:
    mine = Window(T0, T0 + timedelta(hours=2), "REQUESTED")
    cancelled = Window(T0, T0 + timedelta(hours=2), "CANCELLED")
    touching = Window(T0 + timedelta(hours=2), T0 + timedelta(hours=3), "CONFIRMED")
    assert first_overlap(mine, [cancelled, touching]) is None
    clash = Window(T0 + timedelta(hours=1), T0 + timedelta(hours=3), "CONFIRMED")
    assert first_overlap(mine, [cancelled, clash]) == clash


shifts = st.lists(
    st.tuples(
        st.sampled_from(["broomfield", "brisbane"]),
        st.sampled_from(["a@example.com", "b@example.com"]),
        st.integers(min_value=-48 * 60, max_value=48 * 60),
        st.integers(min_value=1, max_value=24 * 60),
    ).map(
        lambda t: Shift(
            t[0], t[1], T0 + timedelta(minutes=t[2]), T0 + timedelta(minutes=t[2] + t[3])
        )
    ),
    max_size=8,
)


@given(shifts, minutes)
def test_on_call_is_whoever_a_shift_of_the_center_covers(rota: list[Shift], offset) -> None:
    at = T0 + offset
    expected = {
        s.staff_email
        for s in rota
        if s.support_center == "brisbane" and s.starts_at <= at < s.ends_at
    }
    answer = on_call_at(rota, "brisbane", at)
    assert set(answer) == expected
    assert len(answer) == len(set(answer))


@given(shifts)
def test_each_local_day_is_covered_or_not_minute_by_minute(rota: list[Shift]) -> None:
    mine = [s for s in rota if s.support_center == "brisbane"]
    days = calendar_days(mine, "Australia/Brisbane", date(2026, 12, 6), 3)
    for day in days:
        covered = 0
        cursor = day.starts_at
        while cursor < day.ends_at:
            if any(s.starts_at <= cursor < s.ends_at for s in mine):
                covered += 1
            cursor += timedelta(minutes=1)
        assert day.uncovered_minutes == 24 * 60 - covered


def test_a_daylight_saving_day_has_its_own_length() -> None:
    # London leaves summer time on 25 October 2026: that local day has 25 hours.
    [day] = calendar_days([], "Europe/London", date(2026, 10, 25), 1)
    assert day.uncovered_minutes == 25 * 60
