"""contracts.entitlement.rules: may this contact open a case on this version now, and how?"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.agreements.terms import term_for_year
from contracts.entitlement.rules import (
    BLOCKING,
    AgreementFacts,
    ContactFacts,
    ContactRule,
    Decision,
    PlanFacts,
    Reason,
    Scope,
    WhenExhausted,
    choose_agreement,
    decide,
)
from contracts.products.lifecycle import Lifecycle, MajorVersionDates, Phase, lifecycles


def _id(name: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"careplane-test:{name}")


# --- the demo world of docs/domain.md section 5 ------------------------------------------------

TODAY = date(2026, 11, 22)
COMMENCED = TODAY - timedelta(days=60)  # agreements commence 60 days before the load
TERM = term_for_year(COMMENCED, 1)  # 12 months: 2026-09-23 .. 2027-09-22

TIDEWAY = _id("product:tideway")
OTHER_PRODUCT = _id("product:other")
TIDEWAY_LIFECYCLES = {
    lc.major: lc
    for lc in lifecycles(
        [
            MajorVersionDates(1, ga=date(2019, 1, 15), eos=date(2021, 6, 30)),
            MajorVersionDates(2, ga=date(2021, 3, 1), eos=date(2024, 6, 30)),
            MajorVersionDates(3, ga=date(2024, 9, 1)),
        ]
    )
}
KNOWN_VERSIONS = {"1.4": 1, "2.0": 2, "2.3": 2, "3.0": 3, "3.1": 3}


def _plan(
    code: str,
    *,
    contact_rule: ContactRule = ContactRule.UNLIMITED,
    yearly_quota: int | None = None,
    when_exhausted: WhenExhausted = WhenExhausted.REFUSE,
    prerequisite: PlanFacts | None = None,
) -> PlanFacts:
    return PlanFacts(
        id=_id(f"plan:{code}"),
        code=code,
        name=code,
        contact_rule=contact_rule,
        yearly_quota=yearly_quota,
        when_exhausted=when_exhausted,
        prerequisite_plan_id=prerequisite.id if prerequisite else None,
        sla_policy={"plan": code},
    )


INFOCARE = _plan("infocare")
INFRACARE = _plan("infracare", contact_rule=ContactRule.ADMINISTRATORS_ONLY)
INVANTIVE = _plan("invantive-subscription")
BASIC = _plan("infotecs-basic", yearly_quota=40, when_exhausted=WhenExhausted.BILLABLE)
PREMIUM = _plan("infotecs-premium", prerequisite=BASIC)


def _agreement(
    name: str,
    plan: PlanFacts,
    *,
    status: str = "active",
    starts_on: date = TERM.starts_on,
    ends_on: date = TERM.ends_on,
    products: Sequence[uuid.UUID] = (TIDEWAY,),
) -> AgreementFacts:
    return AgreementFacts(
        id=_id(f"agreement:{name}"),
        plan=plan,
        status=status,
        starts_on=starts_on,
        ends_on=ends_on,
        product_ids=frozenset(products),
    )


def _contact(
    name: str, *, registered: bool = True, active: bool = True, is_admin: bool = False
) -> ContactFacts:
    return ContactFacts(
        id=_id(f"contact:{name}"),
        customer_id=_id(f"customer:{name.split('@')[1]}"),
        registered=registered,
        active=active,
        is_admin=is_admin,
    )


def check(
    contact: ContactFacts,
    agreements: Sequence[AgreementFacts],
    version: str = "3.1",
    *,
    standing: str = "good",
    day: date = TODAY,
    quota: Mapping[uuid.UUID, int] | None = None,
    product_id: uuid.UUID = TIDEWAY,
) -> Decision:
    """The entitlement check as the service would feed it for a Tideway version string."""
    major = KNOWN_VERSIONS.get(version)
    return decide(
        contact=contact,
        customer_standing=standing,
        agreements=agreements,
        product_id=product_id,
        lifecycle=TIDEWAY_LIFECYCLES.get(major) if major is not None else None,
        version_known=major is not None,
        day=day,
        quota_remaining=quota if quota is not None else {},
    )


ACME = _agreement("acme", INFOCARE)
BOREALIS = _agreement("borealis", INFRACARE)
COBALT = _agreement("cobalt", INVANTIVE)
DELTA_BASIC = _agreement("delta-basic", BASIC)
DELTA_PREMIUM = _agreement("delta-premium", PREMIUM)
ECHO = _agreement("echo", BASIC, status="expired")
FJORD = _agreement("fjord", INFOCARE)

ANA = _contact("ana@acme-water.example")
BO = _contact("bo@borealis.example", is_admin=True)
BEN = _contact("ben@borealis.example")
CORA = _contact("cora@cobalt.example")
DAN = _contact("dan@delta.example")
EVE = _contact("eve@echo.example")
FINN = _contact("finn@fjord.example")

DELTA_QUOTA = {DELTA_BASIC.id: 40}
ECHO_QUOTA = {ECHO.id: 40}


def _assert_entitled(decision: Decision, scope: Scope = Scope.FULL) -> None:
    assert decision.entitled, decision.reasons
    assert decision.scope is scope


def _assert_refused(decision: Decision, *reasons: Reason) -> None:
    assert not decision.entitled
    assert decision.scope is None
    assert set(decision.reasons) == set(reasons)
    assert len(decision.reasons) == len(set(decision.reasons))


# --- the six demo customers ---------------------------------------------------------------


def test_demo_term_is_the_first_agreement_year() -> None:
    assert (TERM.starts_on, TERM.ends_on) == (date(2026, 9, 23), date(2027, 9, 22))


def test_acme_water_ana_on_the_current_major() -> None:
    decision = check(ANA, [ACME], "3.1")
    _assert_entitled(decision)
    assert decision.reasons == []
    assert decision.phase is Phase.MAINSTREAM
    assert decision.agreement == ACME
    assert decision.agreement is not None
    assert decision.agreement.plan.sla_policy == {"plan": "infocare"}
    assert decision.quota_remaining is None  # InfoCare has no ticket quota
    assert decision.billable is False


def test_acme_water_ana_on_major_2_in_extended_support() -> None:
    decision = check(ANA, [ACME], "2.3")
    _assert_entitled(decision, Scope.SECURITY_AND_CRITICAL)
    assert decision.reasons == [Reason.EXTENDED_SUPPORT_LIMITED]
    assert decision.phase is Phase.EXTENDED


def test_acme_water_ana_on_major_1_is_end_of_life() -> None:
    decision = check(ANA, [ACME], "1.4")
    _assert_refused(decision, Reason.VERSION_END_OF_LIFE)
    assert decision.phase is Phase.END_OF_LIFE
    assert decision.agreement == ACME  # the agreement is fine; the version is not


def test_borealis_administrator_bo_is_entitled() -> None:
    decision = check(BO, [BOREALIS])
    _assert_entitled(decision)
    assert decision.reasons == []
    assert decision.agreement == BOREALIS


def test_borealis_ben_is_not_an_administrator() -> None:
    decision = check(BEN, [BOREALIS])
    _assert_refused(decision, Reason.CONTACT_NOT_ADMIN)
    assert decision.agreement == BOREALIS


def test_cobalt_cora_is_entitled() -> None:
    decision = check(CORA, [COBALT], "3.0")
    _assert_entitled(decision)
    assert decision.agreement == COBALT


def test_delta_dan_falls_under_premium_which_builds_on_basic() -> None:
    decision = check(DAN, [DELTA_BASIC, DELTA_PREMIUM], quota=DELTA_QUOTA)
    _assert_entitled(decision)
    assert decision.reasons == []
    assert decision.agreement == DELTA_PREMIUM
    # Order of the input does not matter.
    decision = check(DAN, [DELTA_PREMIUM, DELTA_BASIC], quota=DELTA_QUOTA)
    assert decision.agreement == DELTA_PREMIUM


def test_echo_eve_has_only_an_expired_agreement() -> None:
    decision = check(EVE, [ECHO], quota=ECHO_QUOTA)
    _assert_refused(decision, Reason.NO_ACTIVE_AGREEMENT)
    assert decision.agreement is None
    assert decision.quota_remaining is None


def test_fjord_finn_customer_is_suspended() -> None:
    decision = check(FINN, [FJORD], standing="suspended")
    _assert_refused(decision, Reason.CUSTOMER_SUSPENDED)
    assert decision.agreement == FJORD


# --- NO_ACTIVE_AGREEMENT ------------------------------------------------------------------


@pytest.mark.parametrize("status", ["expired", "suspended", "cancelled", "draft", "ACTIVE"])
def test_only_status_active_counts(status: str) -> None:
    _assert_refused(check(ANA, [replace(ACME, status=status)]), Reason.NO_ACTIVE_AGREEMENT)


def test_no_agreement_at_all() -> None:
    decision = check(ANA, [])
    _assert_refused(decision, Reason.NO_ACTIVE_AGREEMENT)
    assert decision.agreement is None


@pytest.mark.parametrize(
    ("day", "entitled"),
    [
        (TERM.starts_on - timedelta(days=1), False),  # not started yet
        (TERM.starts_on, True),  # commencement day is covered
        (TERM.ends_on, True),  # last covered day
        (TERM.ends_on + timedelta(days=1), False),  # lapsed, though still marked active
    ],
)
def test_agreement_dates_bound_the_entitlement(day: date, entitled: bool) -> None:
    decision = check(ANA, [ACME], day=day)
    assert decision.entitled is entitled
    if not entitled:
        _assert_refused(decision, Reason.NO_ACTIVE_AGREEMENT)


def test_product_not_covered_by_the_agreement() -> None:
    decision = check(ANA, [replace(ACME, product_ids=frozenset({OTHER_PRODUCT}))])
    _assert_refused(decision, Reason.NO_ACTIVE_AGREEMENT)
    decision = check(ANA, [ACME], product_id=OTHER_PRODUCT)
    assert Reason.NO_ACTIVE_AGREEMENT in decision.reasons
    assert not decision.entitled


def test_an_expired_agreement_next_to_an_active_one_is_ignored() -> None:
    last_year = _agreement(
        "acme-last-year",
        INFOCARE,
        status="expired",
        starts_on=date(2025, 9, 23),
        ends_on=date(2026, 9, 22),
    )
    decision = check(ANA, [last_year, ACME])
    _assert_entitled(decision)
    assert decision.agreement == ACME


def test_the_latest_commenced_of_two_equal_agreements_wins() -> None:
    earlier = _agreement("acme-a", INFOCARE, starts_on=date(2026, 1, 1))
    later = _agreement("acme-b", INFOCARE, starts_on=date(2026, 6, 1))
    assert check(ANA, [earlier, later]).agreement == later
    assert check(ANA, [later, earlier]).agreement == later


# --- contacts and customers ---------------------------------------------------------------


def test_unregistered_contact() -> None:
    _assert_refused(check(replace(ANA, registered=False), [ACME]), Reason.CONTACT_NOT_REGISTERED)


def test_inactive_contact_counts_as_not_registered() -> None:
    _assert_refused(check(replace(ANA, active=False), [ACME]), Reason.CONTACT_NOT_REGISTERED)


def test_unregistered_and_inactive_is_reported_once() -> None:
    decision = check(replace(ANA, registered=False, active=False), [ACME])
    assert decision.reasons == [Reason.CONTACT_NOT_REGISTERED]


def test_administrator_flag_does_not_matter_on_unlimited_plans() -> None:
    _assert_entitled(check(replace(ANA, is_admin=False), [ACME]))
    _assert_entitled(check(replace(ANA, is_admin=True), [ACME]))


def test_a_non_administrator_falls_back_to_a_plan_that_admits_every_contact() -> None:
    second = _agreement("borealis-infocare", INFOCARE)
    decision = check(BEN, [BOREALIS, second])
    _assert_entitled(decision)
    assert decision.agreement == second


@pytest.mark.parametrize("standing", ["suspended", "SUSPENDED", "", "unknown"])
def test_anything_but_good_standing_is_suspended(standing: str) -> None:
    _assert_refused(check(ANA, [ACME], standing=standing), Reason.CUSTOMER_SUSPENDED)


# --- versions -----------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["4.0", "3.9", "", "latest"])
def test_unknown_version(version: str) -> None:
    decision = check(ANA, [ACME], version)
    _assert_refused(decision, Reason.VERSION_UNKNOWN)
    assert decision.phase is None


def test_known_version_string_without_lifecycle_is_unknown() -> None:
    decision = decide(
        contact=ANA,
        customer_standing="good",
        agreements=[ACME],
        product_id=TIDEWAY,
        lifecycle=None,
        version_known=True,
        day=TODAY,
        quota_remaining={},
    )
    _assert_refused(decision, Reason.VERSION_UNKNOWN)


def test_lifecycle_without_a_known_version_is_unknown() -> None:
    decision = decide(
        contact=ANA,
        customer_standing="good",
        agreements=[ACME],
        product_id=TIDEWAY,
        lifecycle=TIDEWAY_LIFECYCLES[3],
        version_known=False,
        day=TODAY,
        quota_remaining={},
    )
    _assert_refused(decision, Reason.VERSION_UNKNOWN)


def test_a_pre_release_version_is_unknown() -> None:
    # Major 3 went GA on 2024-09-01; the day before it is not yet a supported version.
    early = _agreement(
        "acme-2024", INFOCARE, starts_on=date(2024, 1, 1), ends_on=date(2024, 12, 31)
    )
    decision = check(ANA, [early], "3.0", day=date(2024, 8, 31))
    _assert_refused(decision, Reason.VERSION_UNKNOWN)
    assert decision.phase is None
    _assert_entitled(check(ANA, [early], "3.0", day=date(2024, 9, 1)))


def test_end_of_life_boundary() -> None:
    # Major 2: EOMS 2026-09-01, EOL 2027-09-01; the agreement runs to 2027-09-22.
    decision = check(ANA, [ACME], "2.0", day=date(2027, 8, 31))
    _assert_entitled(decision, Scope.SECURITY_AND_CRITICAL)
    decision = check(ANA, [ACME], "2.0", day=date(2027, 9, 1))
    _assert_refused(decision, Reason.VERSION_END_OF_LIFE)
    assert decision.phase is Phase.END_OF_LIFE


def test_extended_support_is_entitled_but_limited() -> None:
    decision = check(ANA, [ACME], "2.0")
    assert decision.entitled
    assert Reason.EXTENDED_SUPPORT_LIMITED in decision.reasons
    assert Reason.EXTENDED_SUPPORT_LIMITED not in BLOCKING
    assert decision.scope is Scope.SECURITY_AND_CRITICAL
    assert decision.phase is Phase.EXTENDED


# --- quota --------------------------------------------------------------------------------

BASIC_REFUSING = _plan("basic-refusing", yearly_quota=40, when_exhausted=WhenExhausted.REFUSE)


def test_quota_left_is_reported() -> None:
    decision = check(DAN, [DELTA_BASIC], quota={DELTA_BASIC.id: 7})
    _assert_entitled(decision)
    assert decision.quota_remaining == 7
    assert decision.billable is False


def test_last_ticket_of_the_quota_is_still_free() -> None:
    decision = check(DAN, [DELTA_BASIC], quota={DELTA_BASIC.id: 1})
    assert decision.reasons == []
    assert decision.quota_remaining == 1
    assert not decision.billable


def test_exhausted_quota_on_a_billable_plan_is_accepted_and_billable() -> None:
    decision = check(DAN, [DELTA_BASIC], quota={DELTA_BASIC.id: 0})
    _assert_entitled(decision)
    assert decision.reasons == [Reason.QUOTA_EXHAUSTED]
    assert decision.billable is True
    assert decision.quota_remaining == 0


def test_exhausted_quota_on_a_refusing_plan_is_refused() -> None:
    agreement = _agreement("refusing", BASIC_REFUSING)
    decision = check(DAN, [agreement], quota={agreement.id: 0})
    _assert_refused(decision, Reason.QUOTA_EXHAUSTED)
    assert decision.billable is False
    assert decision.quota_remaining == 0


def test_overdrawn_quota_reports_zero_left() -> None:
    decision = check(DAN, [DELTA_BASIC], quota={DELTA_BASIC.id: -3})
    assert decision.reasons == [Reason.QUOTA_EXHAUSTED]
    assert decision.quota_remaining == 0
    assert decision.billable


def test_no_ledger_entry_means_no_quota_left() -> None:
    decision = check(DAN, [DELTA_BASIC], quota={})
    assert decision.reasons == [Reason.QUOTA_EXHAUSTED]
    assert decision.quota_remaining == 0


def test_plans_without_a_quota_never_run_out() -> None:
    decision = check(ANA, [ACME], quota={ACME.id: 0})
    assert decision.reasons == []
    assert decision.quota_remaining is None


def test_billable_is_never_set_on_a_refused_case() -> None:
    decision = check(DAN, [DELTA_BASIC], "1.4", quota={DELTA_BASIC.id: 0})
    _assert_refused(decision, Reason.QUOTA_EXHAUSTED, Reason.VERSION_END_OF_LIFE)
    assert decision.billable is False


def test_a_plan_with_quota_left_is_preferred_over_a_refusing_exhausted_one() -> None:
    exhausted = _agreement("refusing", BASIC_REFUSING, starts_on=date(2026, 10, 1))
    decision = check(ANA, [exhausted, ACME], quota={exhausted.id: 0})
    _assert_entitled(decision)
    assert decision.agreement == ACME


# --- prerequisites ------------------------------------------------------------------------


def test_premium_without_basic_is_refused() -> None:
    decision = check(DAN, [DELTA_PREMIUM])
    _assert_refused(decision, Reason.PLAN_PREREQUISITE_MISSING)
    assert decision.agreement == DELTA_PREMIUM


@pytest.mark.parametrize("status", ["expired", "suspended", "cancelled"])
def test_premium_with_an_inactive_basic_is_refused(status: str) -> None:
    basic = replace(DELTA_BASIC, status=status)
    _assert_refused(
        check(DAN, [basic, DELTA_PREMIUM], quota=DELTA_QUOTA), Reason.PLAN_PREREQUISITE_MISSING
    )


def test_premium_with_a_lapsed_basic_is_refused() -> None:
    basic = replace(DELTA_BASIC, ends_on=TODAY - timedelta(days=1))
    _assert_refused(
        check(DAN, [basic, DELTA_PREMIUM], quota=DELTA_QUOTA), Reason.PLAN_PREREQUISITE_MISSING
    )


def test_premium_is_preferred_over_basic_even_when_basic_is_newer() -> None:
    newer_basic = replace(DELTA_BASIC, starts_on=TODAY - timedelta(days=1))
    decision = check(DAN, [newer_basic, DELTA_PREMIUM], quota=DELTA_QUOTA)
    assert decision.agreement == DELTA_PREMIUM


def test_premium_cases_count_against_the_basic_quota() -> None:
    # Premium has no quota of its own: its cases use the Basic agreement's. With that used
    # up, Basic's rule applies: accepted as billable.
    decision = check(DAN, [DELTA_BASIC, DELTA_PREMIUM], quota={DELTA_BASIC.id: 0})
    _assert_entitled(decision)
    assert decision.agreement == DELTA_PREMIUM
    assert decision.quota_agreement == DELTA_BASIC
    assert decision.reasons == [Reason.QUOTA_EXHAUSTED]
    assert decision.billable is True
    assert decision.quota_remaining == 0

    decision = check(DAN, [DELTA_BASIC, DELTA_PREMIUM], quota={DELTA_BASIC.id: 7})
    assert (decision.reasons, decision.quota_remaining, decision.billable) == ([], 7, False)


def test_falls_back_to_basic_when_premium_would_refuse() -> None:
    admins_premium = replace(
        DELTA_PREMIUM, plan=replace(PREMIUM, contact_rule=ContactRule.ADMINISTRATORS_ONLY)
    )
    decision = check(DAN, [DELTA_BASIC, admins_premium], quota=DELTA_QUOTA)
    _assert_entitled(decision)
    assert decision.agreement == DELTA_BASIC
    assert decision.quota_remaining == 40


def test_premium_without_basic_next_to_another_plan_uses_the_other_plan() -> None:
    infocare = _agreement("delta-infocare", INFOCARE)
    decision = check(DAN, [DELTA_PREMIUM, infocare])
    _assert_entitled(decision)
    assert decision.agreement == infocare


def test_choose_agreement_directly() -> None:
    quota = {DELTA_BASIC.id: 40}
    agreement, reasons = choose_agreement([DELTA_BASIC, DELTA_PREMIUM], DAN, TIDEWAY, TODAY, quota)
    assert agreement == DELTA_PREMIUM and reasons == []
    agreement, reasons = choose_agreement([DELTA_PREMIUM], DAN, TIDEWAY, TODAY, {})
    assert agreement == DELTA_PREMIUM and reasons == [Reason.PLAN_PREREQUISITE_MISSING]
    agreement, reasons = choose_agreement([], DAN, TIDEWAY, TODAY, {})
    assert agreement is None and reasons == [Reason.NO_ACTIVE_AGREEMENT]


# --- several reasons at once --------------------------------------------------------------


def test_all_contact_customer_and_version_reasons_together() -> None:
    ben = replace(BEN, active=False)
    decision = check(ben, [BOREALIS], "1.4", standing="suspended")
    _assert_refused(
        decision,
        Reason.CONTACT_NOT_REGISTERED,
        Reason.CUSTOMER_SUSPENDED,
        Reason.CONTACT_NOT_ADMIN,
        Reason.VERSION_END_OF_LIFE,
    )


def test_no_agreement_and_unknown_version_together() -> None:
    decision = check(EVE, [ECHO], "9.9", standing="suspended")
    _assert_refused(
        decision,
        Reason.NO_ACTIVE_AGREEMENT,
        Reason.VERSION_UNKNOWN,
        Reason.CUSTOMER_SUSPENDED,
    )


def test_exhausted_refusing_quota_with_extended_support() -> None:
    agreement = _agreement("refusing", BASIC_REFUSING)
    decision = check(DAN, [agreement], "2.3", quota={agreement.id: 0})
    _assert_refused(decision, Reason.QUOTA_EXHAUSTED, Reason.EXTENDED_SUPPORT_LIMITED)
    assert decision.phase is Phase.EXTENDED


def test_billable_quota_and_extended_support_qualify_but_do_not_refuse() -> None:
    decision = check(DAN, [DELTA_BASIC], "2.3", quota={DELTA_BASIC.id: 0})
    _assert_entitled(decision, Scope.SECURITY_AND_CRITICAL)
    assert set(decision.reasons) == {Reason.QUOTA_EXHAUSTED, Reason.EXTENDED_SUPPORT_LIMITED}
    assert decision.billable


def test_suspended_customer_on_an_end_of_life_version() -> None:
    decision = check(FINN, [FJORD], "1.4", standing="suspended")
    _assert_refused(decision, Reason.CUSTOMER_SUSPENDED, Reason.VERSION_END_OF_LIFE)


def test_missing_prerequisite_does_not_hide_the_other_agreement_reasons() -> None:
    """The module promises every check runs: a non-administrator on an administrators-only
    Premium without Basic should hear both reasons, not only the prerequisite."""
    admins_premium = replace(
        DELTA_PREMIUM, plan=replace(PREMIUM, contact_rule=ContactRule.ADMINISTRATORS_ONLY)
    )
    decision = check(DAN, [admins_premium])
    _assert_refused(decision, Reason.PLAN_PREREQUISITE_MISSING, Reason.CONTACT_NOT_ADMIN)


# --- properties over random facts ---------------------------------------------------------

PLANS = [INFOCARE, INFRACARE, INVANTIVE, BASIC, PREMIUM, BASIC_REFUSING]
DAYS = st.dates(min_value=date(2018, 1, 1), max_value=date(2029, 12, 31))


@st.composite
def agreements(draw: st.DrawFn) -> list[AgreementFacts]:
    result = []
    for index in range(draw(st.integers(min_value=0, max_value=4))):
        starts = draw(DAYS)
        result.append(
            AgreementFacts(
                id=_id(f"random-agreement:{index}"),
                plan=draw(st.sampled_from(PLANS)),
                status=draw(st.sampled_from(["active", "active", "expired", "suspended"])),
                starts_on=starts,
                ends_on=starts + timedelta(days=draw(st.integers(min_value=0, max_value=1500))),
                product_ids=frozenset(
                    draw(st.sampled_from([[TIDEWAY], [TIDEWAY, OTHER_PRODUCT], [OTHER_PRODUCT]]))
                ),
            )
        )
    return result


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, object]:
    found = draw(agreements())
    lifecycle: Lifecycle | None = draw(st.sampled_from([None, *TIDEWAY_LIFECYCLES.values()]))
    return {
        "contact": ContactFacts(
            id=_id("random-contact"),
            customer_id=_id("random-customer"),
            registered=draw(st.booleans()),
            active=draw(st.booleans()),
            is_admin=draw(st.booleans()),
        ),
        "customer_standing": draw(st.sampled_from(["good", "good", "suspended"])),
        "agreements": found,
        "product_id": TIDEWAY,
        "lifecycle": lifecycle,
        "version_known": draw(st.booleans()) if lifecycle else False,
        "day": draw(DAYS),
        "quota_remaining": {
            a.id: draw(st.integers(min_value=-2, max_value=3)) for a in found if draw(st.booleans())
        },
    }


@settings(max_examples=250, deadline=None)
@given(scenarios())
def test_the_decision_is_consistent(facts: dict[str, object]) -> None:
    decision = decide(**facts)  # type: ignore[arg-type]
    reasons = set(decision.reasons)
    assert len(decision.reasons) == len(reasons), "no reason twice"
    assert all(isinstance(r, Reason) for r in decision.reasons)
    agreement = decision.agreement

    # The quota a case counts against: its agreement's own, or its prerequisite's.
    counted = decision.quota_agreement or agreement
    refusing_quota = (
        Reason.QUOTA_EXHAUSTED in reasons
        and counted is not None
        and counted.plan.when_exhausted is WhenExhausted.REFUSE
    )
    expected_entitled = agreement is not None and not (reasons & BLOCKING) and not refusing_quota
    assert decision.entitled is expected_entitled
    if not decision.entitled:
        assert reasons, "a refusal always says why"
        assert decision.scope is None
        assert decision.billable is False
    else:
        assert decision.phase in (Phase.MAINSTREAM, Phase.EXTENDED)
        assert decision.scope is (
            Scope.SECURITY_AND_CRITICAL
            if Reason.EXTENDED_SUPPORT_LIMITED in reasons
            else Scope.FULL
        )
    if decision.billable:
        assert Reason.QUOTA_EXHAUSTED in reasons

    contact = facts["contact"]
    assert isinstance(contact, ContactFacts)
    assert (Reason.CONTACT_NOT_REGISTERED in reasons) is not (contact.registered and contact.active)
    assert (Reason.CUSTOMER_SUSPENDED in reasons) is (facts["customer_standing"] != "good")
    assert (Reason.VERSION_UNKNOWN in reasons) is (decision.phase is None)

    day = facts["day"]
    assert isinstance(day, date)
    if agreement is None:
        assert Reason.NO_ACTIVE_AGREEMENT in reasons
        assert decision.quota_remaining is None
    else:
        assert Reason.NO_ACTIVE_AGREEMENT not in reasons
        assert agreement.active_at(day) and TIDEWAY in agreement.product_ids
        if decision.quota_agreement is None:
            assert decision.quota_remaining is None
            assert Reason.QUOTA_EXHAUSTED not in reasons
        else:
            assert decision.quota_remaining is not None and decision.quota_remaining >= 0
        if Reason.CONTACT_NOT_ADMIN in reasons:
            assert agreement.plan.contact_rule is ContactRule.ADMINISTRATORS_ONLY


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_more_trouble_never_entitles(facts: dict[str, object]) -> None:
    """Suspending the customer, deactivating the contact or losing every agreement can
    only take an entitlement away."""
    contact = facts["contact"]
    assert isinstance(contact, ContactFacts)
    for worse in (
        {"customer_standing": "suspended"},
        {"contact": replace(contact, active=False)},
        {"agreements": []},
        {"version_known": False},
    ):
        assert decide(**{**facts, **worse}).entitled is False  # type: ignore[arg-type]
