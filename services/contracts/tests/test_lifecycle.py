"""contracts.products.lifecycle: EOMS/EOL derivation, phases, the 6-month notice, ordering."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from contracts.dates import add_months, add_years
from contracts.products.lifecycle import (
    Lifecycle,
    MajorVersionDates,
    Milestone,
    MilestoneError,
    Phase,
    check_announcement_notice,
    check_order,
    derive_eol,
    derive_eoms,
    lifecycles,
)

FAST = settings(max_examples=300, deadline=None)
PHASE_ORDER = [Phase.PRE_RELEASE, Phase.MAINSTREAM, Phase.EXTENDED, Phase.END_OF_LIFE]

# The demo product Tideway (docs/domain.md section 5).
TIDEWAY = [
    MajorVersionDates(major=1, ga=date(2019, 1, 15), eos=date(2021, 6, 30)),
    MajorVersionDates(major=2, ga=date(2021, 3, 1), eos=date(2024, 6, 30)),
    MajorVersionDates(major=3, ga=date(2024, 9, 1)),
]
DEMO_DAY = date(2026, 11, 22)


def _tideway() -> dict[int, Lifecycle]:
    return {lc.major: lc for lc in lifecycles(TIDEWAY)}


# --- Tideway, worked out by hand ----------------------------------------------------------


def test_tideway_major_1() -> None:
    # EOMS = max(EOS + 1y, next GA + 2y) = max(2022-06-30, 2021-03-01 + 2y = 2023-03-01)
    #      = 2023-03-01 (the next major's GA wins).
    # EOL  = max(EOMS + 1y, GA + 5y) = max(2024-03-01, 2019-01-15 + 5y = 2024-01-15)
    #      = 2024-03-01.
    major_1 = _tideway()[1]
    assert major_1.ga == date(2019, 1, 15)
    assert major_1.eos == date(2021, 6, 30)
    assert major_1.eoms == date(2023, 3, 1)
    assert major_1.eol == date(2024, 3, 1)
    assert major_1.eoms_derived and major_1.eol_derived


def test_tideway_major_2() -> None:
    # EOMS = max(2024-06-30 + 1y = 2025-06-30, 2024-09-01 + 2y = 2026-09-01) = 2026-09-01.
    # EOL  = max(2026-09-01 + 1y = 2027-09-01, 2021-03-01 + 5y = 2026-03-01) = 2027-09-01.
    major_2 = _tideway()[2]
    assert major_2.eoms == date(2026, 9, 1)
    assert major_2.eol == date(2027, 9, 1)


def test_tideway_major_3_has_no_end_yet() -> None:
    # No EOS announced: no EOMS, no EOL; mainstream from GA on.
    major_3 = _tideway()[3]
    assert major_3.eos is None
    assert major_3.eoms is None
    assert major_3.eol is None
    assert major_3.phase_at(date(2099, 1, 1)) is Phase.MAINSTREAM


def test_tideway_phases_on_the_demo_day() -> None:
    tideway = _tideway()
    assert tideway[1].phase_at(DEMO_DAY) is Phase.END_OF_LIFE
    assert tideway[2].phase_at(DEMO_DAY) is Phase.EXTENDED
    assert tideway[3].phase_at(DEMO_DAY) is Phase.MAINSTREAM


@pytest.mark.parametrize(
    ("major", "day", "phase"),
    [
        (1, date(2019, 1, 14), Phase.PRE_RELEASE),
        (1, date(2019, 1, 15), Phase.MAINSTREAM),  # GA day is supported
        (1, date(2021, 6, 30), Phase.MAINSTREAM),  # EOS: no longer sold, still mainstream
        (1, date(2023, 2, 28), Phase.MAINSTREAM),
        (1, date(2023, 3, 1), Phase.EXTENDED),  # EOMS day starts extended support
        (1, date(2024, 2, 29), Phase.EXTENDED),
        (1, date(2024, 3, 1), Phase.END_OF_LIFE),  # EOL day is end of life
        (2, date(2026, 8, 31), Phase.MAINSTREAM),
        (2, date(2026, 9, 1), Phase.EXTENDED),
        (2, date(2027, 8, 31), Phase.EXTENDED),
        (2, date(2027, 9, 1), Phase.END_OF_LIFE),
        (3, date(2024, 8, 31), Phase.PRE_RELEASE),
        (3, date(2024, 9, 1), Phase.MAINSTREAM),
    ],
)
def test_tideway_phase_boundaries(major: int, day: date, phase: Phase) -> None:
    assert _tideway()[major].phase_at(day) is phase


def test_lifecycles_sort_by_major_whatever_the_input_order() -> None:
    shuffled = [TIDEWAY[2], TIDEWAY[0], TIDEWAY[1]]
    assert [lc.major for lc in lifecycles(shuffled)] == [1, 2, 3]
    assert lifecycles(shuffled) == lifecycles(TIDEWAY)


def test_milestones_mapping() -> None:
    assert _tideway()[2].milestones() == {
        Milestone.GA: date(2021, 3, 1),
        Milestone.EOS: date(2024, 6, 30),
        Milestone.EOMS: date(2026, 9, 1),
        Milestone.EOL: date(2027, 9, 1),
    }


# --- derivation rules ---------------------------------------------------------------------


def test_eos_plus_one_year_wins_when_the_next_major_is_early() -> None:
    assert derive_eoms(date(2024, 6, 30), date(2021, 1, 1)) == date(2025, 6, 30)


def test_no_next_major_means_eos_plus_one_year() -> None:
    assert derive_eoms(date(2024, 2, 29), None) == date(2025, 2, 28)


def test_no_eos_means_no_eoms_even_with_a_next_major() -> None:
    assert derive_eoms(None, date(2030, 1, 1)) is None
    assert derive_eol(date(2020, 1, 1), None) is None


def test_five_year_minimum_stretches_extended_support() -> None:
    # GA 2020-01-01, EOS 2020-06-01, no successor: EOMS 2021-06-01, EOMS + 1y = 2022-06-01,
    # but the whole support period is at least 5 years: EOL = 2025-01-01.
    (only,) = lifecycles([MajorVersionDates(major=1, ga=date(2020, 1, 1), eos=date(2020, 6, 1))])
    assert only.eoms == date(2021, 6, 1)
    assert only.eol == date(2025, 1, 1)


def test_next_ga_is_the_earliest_later_major_not_just_major_plus_one() -> None:
    # Major 5 ships before major 4 (odd, but the earliest later GA is the successor's).
    versions = [
        MajorVersionDates(major=3, ga=date(2018, 1, 1), eos=date(2019, 1, 1)),
        MajorVersionDates(major=4, ga=date(2022, 1, 1)),
        MajorVersionDates(major=5, ga=date(2021, 1, 1)),
    ]
    major_3 = lifecycles(versions)[0]
    assert major_3.eoms == date(2023, 1, 1)  # 2021-01-01 + 2y, not 2022-01-01 + 2y


def test_leap_day_milestones() -> None:
    (only,) = lifecycles([MajorVersionDates(major=1, ga=date(2020, 2, 29), eos=date(2024, 2, 29))])
    assert only.eoms == date(2025, 2, 28)
    assert only.eol == date(2026, 2, 28)


def test_overrides_win_over_the_derived_dates() -> None:
    versions = [
        replace(TIDEWAY[0], eoms_override=date(2022, 12, 31), eol_override=date(2025, 12, 31)),
        TIDEWAY[1],
        TIDEWAY[2],
    ]
    major_1 = lifecycles(versions)[0]
    assert major_1.eoms == date(2022, 12, 31)
    assert major_1.eol == date(2025, 12, 31)
    assert not major_1.eoms_derived
    assert not major_1.eol_derived


def test_an_eoms_override_moves_the_derived_eol() -> None:
    versions = [replace(TIDEWAY[0], eoms_override=date(2025, 6, 30)), TIDEWAY[1], TIDEWAY[2]]
    major_1 = lifecycles(versions)[0]
    assert major_1.eoms == date(2025, 6, 30)
    assert not major_1.eoms_derived
    assert major_1.eol == date(2026, 6, 30)
    assert major_1.eol_derived


def test_an_eoms_override_without_eos() -> None:
    (only,) = lifecycles(
        [MajorVersionDates(major=1, ga=date(2020, 1, 1), eoms_override=date(2023, 1, 1))]
    )
    assert only.eoms == date(2023, 1, 1)
    assert only.eol == date(2025, 1, 1)  # max(2024-01-01, GA + 5y)


def test_an_eol_override_before_the_derived_eoms_still_ends_support() -> None:
    """Tideway 2 with EOL overridden to 2025-12-31 (the derived EOMS is 2026-09-01).

    check_order accepts it (only GA, EOS and the overrides are compared), and then a day
    after the EOL is reported MAINSTREAM because phase_at looks at EOMS first."""
    versions = [TIDEWAY[0], replace(TIDEWAY[1], eol_override=date(2025, 12, 31)), TIDEWAY[2]]
    check_order(versions[1])  # accepted today
    major_2 = lifecycles(versions)[1]
    assert major_2.eol == date(2025, 12, 31)
    assert major_2.phase_at(date(2026, 1, 15)) is Phase.END_OF_LIFE


def test_an_eol_override_without_eos_still_ends_support() -> None:
    """An EOL set for a major without EOS (Tideway 3, EOL override 2030-01-01): EOMS stays
    None, and phase_at then answers MAINSTREAM for ever, also after the EOL."""
    versions = [TIDEWAY[0], TIDEWAY[1], replace(TIDEWAY[2], eol_override=date(2030, 1, 1))]
    check_order(versions[2])
    major_3 = lifecycles(versions)[2]
    assert major_3.eol == date(2030, 1, 1)
    assert major_3.phase_at(date(2031, 1, 1)) is Phase.END_OF_LIFE


# --- properties of the derived dates ------------------------------------------------------

GA_DATES = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))


@st.composite
def products(draw: st.DrawFn, overrides: bool = False) -> list[MajorVersionDates]:
    """1-4 major versions, increasing GA, each with an optional EOS on or after its GA."""
    count = draw(st.integers(min_value=1, max_value=4))
    ga = draw(GA_DATES)
    versions = []
    for major in range(1, count + 1):
        eos = None
        if draw(st.booleans()) or major < count:
            eos = ga + timedelta(days=draw(st.integers(min_value=0, max_value=3000)))
        eoms_override = eol_override = None
        if overrides and draw(st.booleans()):
            base = eos or ga
            eoms_override = base + timedelta(days=draw(st.integers(min_value=0, max_value=2000)))
        if overrides and draw(st.booleans()):
            base = eoms_override or eos or ga
            eol_override = base + timedelta(days=draw(st.integers(min_value=0, max_value=2000)))
        versions.append(MajorVersionDates(major, ga, eos, eoms_override, eol_override))
        ga = ga + timedelta(days=draw(st.integers(min_value=1, max_value=2000)))
    return versions


@FAST
@given(products())
def test_derived_milestones_respect_every_rule(versions: list[MajorVersionDates]) -> None:
    result = lifecycles(versions)
    assert [lc.major for lc in result] == [v.major for v in versions]
    for index, lc in enumerate(result):
        assert lc.eoms_derived and lc.eol_derived
        if lc.eos is None:
            assert lc.eoms is None and lc.eol is None
            continue
        assert lc.eoms is not None and lc.eol is not None
        assert lc.eoms >= add_years(lc.eos, 1)  # EOMS >= EOS + 1 year
        assert lc.eol >= add_years(lc.eoms, 1)  # EOL >= EOMS + 1 year
        assert lc.eol >= add_years(lc.ga, 5)  # EOL >= GA + 5 years
        assert lc.ga <= lc.eos <= lc.eoms <= lc.eol
        later = result[index + 1 :]
        if later:
            next_ga = min(v.ga for v in later)
            assert lc.eoms >= add_years(next_ga, 2)
            assert lc.eoms == max(add_years(lc.eos, 1), add_years(next_ga, 2))
        else:
            assert lc.eoms == add_years(lc.eos, 1)
        assert lc.eol == max(add_years(lc.eoms, 1), add_years(lc.ga, 5))


@FAST
@given(products(overrides=True))
def test_overrides_always_win(versions: list[MajorVersionDates]) -> None:
    for version, lc in zip(versions, lifecycles(versions), strict=True):
        if version.eoms_override is not None:
            assert lc.eoms == version.eoms_override and not lc.eoms_derived
        if version.eol_override is not None:
            assert lc.eol == version.eol_override and not lc.eol_derived


def _phases_over_time(lc: Lifecycle, start: date, step_days: int, steps: int) -> list[Phase]:
    return [lc.phase_at(start + timedelta(days=i * step_days)) for i in range(steps)]


@settings(max_examples=150, deadline=None)
@given(products(overrides=True), st.integers(min_value=1, max_value=60))
def test_phase_never_goes_back_in_time(versions: list[MajorVersionDates], step: int) -> None:
    for lc in lifecycles(versions):
        phases = _phases_over_time(lc, lc.ga - timedelta(days=400), step, 200)
        ranks = [PHASE_ORDER.index(p) for p in phases]
        assert ranks == sorted(ranks)


@FAST
@given(products())
def test_derived_phase_boundaries_are_the_milestones(versions: list[MajorVersionDates]) -> None:
    for lc in lifecycles(versions):
        one = timedelta(days=1)
        assert lc.phase_at(lc.ga - one) is Phase.PRE_RELEASE
        assert lc.phase_at(lc.ga) is Phase.MAINSTREAM
        if lc.eoms is not None and lc.eol is not None:
            assert lc.phase_at(lc.eoms - one) is Phase.MAINSTREAM
            assert lc.phase_at(lc.eoms) is Phase.EXTENDED
            assert lc.phase_at(lc.eol - one) is Phase.EXTENDED
            assert lc.phase_at(lc.eol) is Phase.END_OF_LIFE
            assert lc.phase_at(add_years(lc.eol, 30)) is Phase.END_OF_LIFE


@FAST
@given(products(overrides=True), st.integers(min_value=0, max_value=5000))
def test_after_the_eol_every_version_is_end_of_life(
    versions: list[MajorVersionDates], days_after: int
) -> None:
    """Whatever was overridden, once a major version has an EOL and it has passed, the
    version is END_OF_LIFE (the entitlement check relies on it)."""
    for version in versions:
        check_order(version)  # the generator only builds ordered overrides
    for lc in lifecycles(versions):
        if lc.eol is not None:
            assert lc.phase_at(lc.eol + timedelta(days=days_after)) is Phase.END_OF_LIFE


# --- milestone ordering -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "message"),
    [
        (MajorVersionDates(1, ga=date(2024, 1, 1), eos=date(2023, 12, 31)), "EOS"),
        (
            MajorVersionDates(
                1, ga=date(2020, 1, 1), eos=date(2024, 1, 1), eoms_override=date(2023, 1, 1)
            ),
            "EOMS",
        ),
        (
            MajorVersionDates(
                1,
                ga=date(2020, 1, 1),
                eos=date(2021, 1, 1),
                eoms_override=date(2024, 1, 1),
                eol_override=date(2023, 1, 1),
            ),
            "EOL",
        ),
        # With the EOMS not overridden, EOL is still compared with the EOS ...
        (
            MajorVersionDates(
                1, ga=date(2020, 1, 1), eos=date(2024, 1, 1), eol_override=date(2023, 6, 1)
            ),
            "EOL",
        ),
        # ... and with no EOS either, with GA.
        (MajorVersionDates(1, ga=date(2020, 1, 1), eol_override=date(2019, 1, 1)), "EOL"),
        (MajorVersionDates(1, ga=date(2020, 1, 1), eoms_override=date(2019, 1, 1)), "EOMS"),
    ],
)
def test_milestones_out_of_order_are_refused(version: MajorVersionDates, message: str) -> None:
    with pytest.raises(MilestoneError, match=message) as raised:
        check_order(version)
    assert raised.value.code == "MILESTONES_OUT_OF_ORDER"
    assert isinstance(raised.value, ValueError)


@pytest.mark.parametrize(
    "version",
    [
        MajorVersionDates(1, ga=date(2020, 1, 1)),
        MajorVersionDates(1, ga=date(2020, 1, 1), eos=date(2020, 1, 1)),  # same day is fine
        MajorVersionDates(
            1,
            ga=date(2020, 1, 1),
            eos=date(2020, 1, 1),
            eoms_override=date(2020, 1, 1),
            eol_override=date(2020, 1, 1),
        ),
        *TIDEWAY,
    ],
)
def test_ordered_milestones_are_accepted(version: MajorVersionDates) -> None:
    check_order(version)


# --- the 6-month announcement rule --------------------------------------------------------

TODAY = date(2026, 11, 22)
HORIZON = date(2027, 5, 22)  # TODAY + 6 months


def _major_3_with_eos(eos: date | None, **overrides: date) -> Lifecycle:
    versions = [TIDEWAY[0], TIDEWAY[1], replace(TIDEWAY[2], eos=eos, **overrides)]
    return lifecycles(versions)[2]


def test_horizon_is_six_calendar_months() -> None:
    assert add_months(TODAY, 6) == HORIZON


@pytest.mark.parametrize(
    "eos",
    [
        TODAY,  # today is inside the window
        TODAY + timedelta(days=1),
        date(2027, 3, 31),
        HORIZON - timedelta(days=1),  # one day short of 6 months
    ],
)
def test_a_milestone_less_than_six_months_ahead_is_refused(eos: date) -> None:
    old = _tideway()[3]
    new = _major_3_with_eos(eos)
    with pytest.raises(MilestoneError, match="EOS") as raised:
        check_announcement_notice(old, new, TODAY, forced_reason=None)
    assert raised.value.code == "MILESTONE_NOTICE_TOO_SHORT"


@pytest.mark.parametrize("reason", [None, "", "   ", "\t\n"])
def test_a_blank_reason_does_not_force(reason: str | None) -> None:
    with pytest.raises(MilestoneError):
        check_announcement_notice(
            _tideway()[3], _major_3_with_eos(date(2027, 1, 31)), TODAY, forced_reason=reason
        )


def test_a_reason_forces_it_and_the_changes_are_reported() -> None:
    old = _tideway()[3]
    new = _major_3_with_eos(date(2027, 1, 31))
    changed = check_announcement_notice(
        old, new, TODAY, forced_reason="security: the crypto library is unmaintained"
    )
    # EOS is new, and with it the derived EOMS (2028-01-31) and EOL (2029-09-01 = GA + 5y).
    assert set(changed) == {Milestone.EOS, Milestone.EOMS, Milestone.EOL}
    assert new.eoms == date(2028, 1, 31)
    assert new.eol == date(2029, 9, 1)


def test_exactly_six_months_ahead_is_enough_notice() -> None:
    changed = check_announcement_notice(
        _tideway()[3], _major_3_with_eos(HORIZON), TODAY, forced_reason=None
    )
    assert Milestone.EOS in changed


@pytest.mark.parametrize(
    ("today", "horizon"),
    [
        (date(2026, 8, 31), date(2027, 2, 28)),  # month end: Aug 31 + 6 months = Feb 28
        (date(2027, 8, 31), date(2028, 2, 29)),  # ... or Feb 29 in a leap year
        (date(2026, 12, 31), date(2027, 6, 30)),
    ],
)
def test_the_boundary_at_month_ends(today: date, horizon: date) -> None:
    """The milestone versions are built so that only the EOS lands near the boundary."""

    def eos_at(day: date) -> tuple[Lifecycle, Lifecycle]:
        base = MajorVersionDates(1, ga=date(2020, 1, 1))
        return lifecycles([base])[0], lifecycles([replace(base, eos=day)])[0]

    check_announcement_notice(*eos_at(horizon), today, forced_reason=None)
    with pytest.raises(MilestoneError):
        check_announcement_notice(*eos_at(horizon - timedelta(days=1)), today, forced_reason=None)


def test_past_milestones_are_history_and_allowed() -> None:
    """Entering Tideway's data today: major 1's milestones all lie in the past."""
    changed = check_announcement_notice(None, _tideway()[1], TODAY, forced_reason=None)
    assert set(changed) == {Milestone.GA, Milestone.EOS, Milestone.EOMS, Milestone.EOL}


def test_a_past_eos_can_still_derive_an_eoms_inside_the_window() -> None:
    # EOS 2026-01-31 is history, but the derived EOMS 2027-01-31 is two months away.
    with pytest.raises(MilestoneError, match="EOMS"):
        check_announcement_notice(
            _tideway()[3], _major_3_with_eos(date(2026, 1, 31)), TODAY, forced_reason=None
        )


def test_new_version_entered_with_far_milestones_is_fine() -> None:
    new = _major_3_with_eos(date(2028, 6, 30))
    changed = check_announcement_notice(None, new, TODAY, forced_reason=None)
    assert set(changed) == {Milestone.GA, Milestone.EOS, Milestone.EOMS, Milestone.EOL}


def test_unchanged_milestones_inside_the_window_are_never_refused() -> None:
    """Tideway 2 on 2026-06-01: its derived EOMS (2026-09-01) is three months away. Moving
    only the EOL (by override, far ahead) must not trip over the EOMS that did not change."""
    today = date(2026, 6, 1)
    old = _tideway()[2]
    versions = [TIDEWAY[0], replace(TIDEWAY[1], eol_override=date(2028, 12, 31)), TIDEWAY[2]]
    new = lifecycles(versions)[1]
    assert old.eoms == new.eoms == date(2026, 9, 1)
    assert check_announcement_notice(old, new, today, forced_reason=None) == [Milestone.EOL]


def test_no_change_means_nothing_to_announce() -> None:
    for lc in _tideway().values():
        assert check_announcement_notice(lc, lc, date(2026, 6, 1), forced_reason=None) == []


def test_ga_is_not_a_notice_milestone() -> None:
    # Moving major 3's GA to tomorrow (it has no EOS) needs no 6 months' notice.
    old = MajorVersionDates(4, ga=date(2027, 6, 1))
    new = replace(old, ga=TODAY + timedelta(days=1))
    changed = check_announcement_notice(
        lifecycles([old])[0], lifecycles([new])[0], TODAY, forced_reason=None
    )
    assert changed == [Milestone.GA]


def test_removing_a_milestone_is_a_change_but_never_refused() -> None:
    old = _major_3_with_eos(date(2027, 1, 31))
    new = _tideway()[3]
    changed = check_announcement_notice(old, new, TODAY, forced_reason=None)
    assert set(changed) == {Milestone.EOS, Milestone.EOMS, Milestone.EOL}


MILESTONE_DAYS = st.dates(min_value=date(2020, 1, 1), max_value=date(2032, 12, 31))


@st.composite
def single_version_change(draw: st.DrawFn) -> tuple[Lifecycle, Lifecycle, date]:
    ga = draw(st.dates(min_value=date(2015, 1, 1), max_value=date(2025, 12, 31)))
    old_eos = draw(st.none() | MILESTONE_DAYS.filter(lambda d: d >= ga))
    new_eos = draw(st.none() | MILESTONE_DAYS.filter(lambda d: d >= ga))
    today = draw(st.dates(min_value=date(2018, 1, 1), max_value=date(2032, 12, 31)))
    old = lifecycles([MajorVersionDates(1, ga=ga, eos=old_eos)])[0]
    new = lifecycles([MajorVersionDates(1, ga=ga, eos=new_eos)])[0]
    return old, new, today


@FAST
@given(single_version_change())
def test_notice_rule_matches_its_definition(change: tuple[Lifecycle, Lifecycle, date]) -> None:
    old, new, today = change
    horizon = add_months(today, 6)
    changed = {m for m in Milestone if old.milestones()[m] != new.milestones()[m]}
    too_soon = {
        m
        for m in changed - {Milestone.GA}
        if (day := new.milestones()[m]) is not None and today <= day < horizon
    }
    if too_soon:
        with pytest.raises(MilestoneError) as raised:
            check_announcement_notice(old, new, today, forced_reason=None)
        for milestone in too_soon:
            assert milestone.value.upper() in str(raised.value)
    else:
        assert set(check_announcement_notice(old, new, today, forced_reason=None)) == changed
    # With a reason it always goes through and reports the same changes.
    assert set(check_announcement_notice(old, new, today, forced_reason="agreed")) == changed
    # And nothing that does not change is ever refused.
    assert check_announcement_notice(new, new, today, forced_reason=None) == []


@settings(max_examples=150, deadline=None)
@given(single_version_change())
def test_milestones_all_in_the_past_or_beyond_six_months_never_need_a_reason(
    change: tuple[Lifecycle, Lifecycle, date],
) -> None:
    old, new, today = change
    horizon = add_months(today, 6)
    assume(
        all(
            day is None or day < today or day >= horizon
            for m, day in new.milestones().items()
            if m is not Milestone.GA
        )
    )
    check_announcement_notice(old, new, today, forced_reason=None)
