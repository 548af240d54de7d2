"""The entitlement decision (docs/domain.md section 1): may this contact open a case on this
product version now, and under which terms? Pure: the facts come in, the answer goes out.

Every check runs, so the answer lists all reasons at once (a support agent sees that the
customer is suspended *and* the version is end of life). Some reasons refuse the case;
EXTENDED_SUPPORT_LIMITED and a billable QUOTA_EXHAUSTED only qualify it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from contracts.products.lifecycle import Lifecycle, Phase


class Reason(StrEnum):
    NO_ACTIVE_AGREEMENT = "NO_ACTIVE_AGREEMENT"
    CONTACT_NOT_REGISTERED = "CONTACT_NOT_REGISTERED"
    CONTACT_NOT_ADMIN = "CONTACT_NOT_ADMIN"
    CUSTOMER_SUSPENDED = "CUSTOMER_SUSPENDED"
    VERSION_UNKNOWN = "VERSION_UNKNOWN"
    VERSION_END_OF_LIFE = "VERSION_END_OF_LIFE"
    EXTENDED_SUPPORT_LIMITED = "EXTENDED_SUPPORT_LIMITED"
    QUOTA_EXHAUSTED = "QUOTA_EXHAUSTED"
    PLAN_PREREQUISITE_MISSING = "PLAN_PREREQUISITE_MISSING"


class Scope(StrEnum):
    FULL = "FULL"
    SECURITY_AND_CRITICAL = "SECURITY_AND_CRITICAL"


class ContactRule(StrEnum):
    UNLIMITED = "unlimited"
    ADMINISTRATORS_ONLY = "administrators_only"


class WhenExhausted(StrEnum):
    REFUSE = "refuse"
    BILLABLE = "billable"


@dataclass(frozen=True, slots=True)
class ContactFacts:
    id: uuid.UUID
    customer_id: uuid.UUID
    registered: bool
    active: bool
    is_admin: bool


@dataclass(frozen=True, slots=True)
class PlanFacts:
    id: uuid.UUID
    code: str
    name: str
    contact_rule: ContactRule
    yearly_quota: int | None
    when_exhausted: WhenExhausted
    prerequisite_plan_id: uuid.UUID | None
    sla_policy: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class AgreementFacts:
    id: uuid.UUID
    plan: PlanFacts
    status: str
    starts_on: date
    ends_on: date
    product_ids: frozenset[uuid.UUID]

    def active_at(self, day: date) -> bool:
        return self.status == "active" and self.starts_on <= day <= self.ends_on


@dataclass(frozen=True, slots=True)
class Decision:
    entitled: bool
    reasons: list[Reason]
    phase: Phase | None
    scope: Scope | None
    agreement: AgreementFacts | None
    quota_remaining: int | None
    quota_agreement: AgreementFacts | None = None
    billable: bool = False
    notes: list[str] = field(default_factory=list)


BLOCKING = frozenset(
    {
        Reason.NO_ACTIVE_AGREEMENT,
        Reason.CONTACT_NOT_REGISTERED,
        Reason.CONTACT_NOT_ADMIN,
        Reason.CUSTOMER_SUSPENDED,
        Reason.VERSION_UNKNOWN,
        Reason.VERSION_END_OF_LIFE,
        Reason.PLAN_PREREQUISITE_MISSING,
    }
)


def quota_agreement_for(
    agreement: AgreementFacts, agreements: Sequence[AgreementFacts], day: date
) -> AgreementFacts | None:
    """Whose ticket quota a case uses: its own agreement's, or, for a plan that builds on
    another without a quota of its own (Premium on Basic), the active prerequisite's."""
    if agreement.plan.yearly_quota is not None:
        return agreement
    prerequisite = agreement.plan.prerequisite_plan_id
    if prerequisite is None:
        return None
    return next(
        (
            a
            for a in agreements
            if a.plan.id == prerequisite and a.active_at(day) and a.plan.yearly_quota is not None
        ),
        None,
    )


def _agreement_reasons(
    agreement: AgreementFacts,
    contact: ContactFacts,
    quota_remaining: Mapping[uuid.UUID, int],
    agreements: Sequence[AgreementFacts],
    day: date,
) -> list[Reason]:
    reasons = []
    if agreement.plan.contact_rule is ContactRule.ADMINISTRATORS_ONLY and not contact.is_admin:
        reasons.append(Reason.CONTACT_NOT_ADMIN)
    counted = quota_agreement_for(agreement, agreements, day)
    if counted is not None and quota_remaining.get(counted.id, 0) <= 0:
        reasons.append(Reason.QUOTA_EXHAUSTED)
    return reasons


def _refuses(
    agreement: AgreementFacts,
    reasons: Sequence[Reason],
    agreements: Sequence[AgreementFacts],
    day: date,
) -> bool:
    if any(r in BLOCKING for r in reasons):
        return True
    if Reason.QUOTA_EXHAUSTED not in reasons:
        return False
    counted = quota_agreement_for(agreement, agreements, day) or agreement
    return counted.plan.when_exhausted is WhenExhausted.REFUSE


def choose_agreement(
    agreements: Sequence[AgreementFacts],
    contact: ContactFacts,
    product_id: uuid.UUID,
    day: date,
    quota_remaining: Mapping[uuid.UUID, int],
) -> tuple[AgreementFacts | None, list[Reason]]:
    """The agreement the case falls under, and the reasons it carries.

    Candidates are the agreements active on ``day`` that cover the product. One whose
    plan needs another plan (Premium needs Basic) counts only while that one is active
    too, and it is preferred over the plan it builds on. Among the rest, the first that
    entitles the contact wins; failing that, the most preferred one explains the refusal."""
    active = [a for a in agreements if a.active_at(day) and product_id in a.product_ids]
    if not active:
        return None, [Reason.NO_ACTIVE_AGREEMENT]
    active_plans = {a.plan.id for a in active}
    valid = [
        a
        for a in active
        if a.plan.prerequisite_plan_id is None or a.plan.prerequisite_plan_id in active_plans
    ]
    if not valid:
        first = active[0]
        reasons = _agreement_reasons(first, contact, quota_remaining, active, day)
        return first, [Reason.PLAN_PREREQUISITE_MISSING, *reasons]
    prerequisites = {a.plan.prerequisite_plan_id for a in valid}
    ranked = sorted(valid, key=lambda a: (a.plan.id in prerequisites, -a.starts_on.toordinal()))
    best: tuple[AgreementFacts, list[Reason]] | None = None
    for agreement in ranked:
        reasons = _agreement_reasons(agreement, contact, quota_remaining, active, day)
        if not _refuses(agreement, reasons, active, day):
            return agreement, reasons
        best = best or (agreement, reasons)
    assert best is not None
    return best


def decide(
    *,
    contact: ContactFacts,
    customer_standing: str,
    agreements: Sequence[AgreementFacts],
    product_id: uuid.UUID,
    lifecycle: Lifecycle | None,
    version_known: bool,
    day: date,
    quota_remaining: Mapping[uuid.UUID, int],
) -> Decision:
    reasons: list[Reason] = []
    if not contact.registered or not contact.active:
        reasons.append(Reason.CONTACT_NOT_REGISTERED)
    if customer_standing != "good":
        reasons.append(Reason.CUSTOMER_SUSPENDED)

    agreement, agreement_reasons = choose_agreement(
        agreements, contact, product_id, day, quota_remaining
    )
    reasons.extend(agreement_reasons)

    phase: Phase | None = None
    scope: Scope | None = None
    if lifecycle is None or not version_known or lifecycle.phase_at(day) is Phase.PRE_RELEASE:
        reasons.append(Reason.VERSION_UNKNOWN)
    else:
        phase = lifecycle.phase_at(day)
        if phase is Phase.END_OF_LIFE:
            reasons.append(Reason.VERSION_END_OF_LIFE)
        elif phase is Phase.EXTENDED:
            reasons.append(Reason.EXTENDED_SUPPORT_LIMITED)
            scope = Scope.SECURITY_AND_CRITICAL
        else:
            scope = Scope.FULL

    counted = quota_agreement_for(agreement, agreements, day) if agreement else None
    remaining = max(quota_remaining.get(counted.id, 0), 0) if counted is not None else None
    entitled = agreement is not None and not _refuses(agreement, reasons, agreements, day)
    billable = (
        entitled
        and Reason.QUOTA_EXHAUSTED in reasons
        and counted is not None
        and counted.plan.when_exhausted is WhenExhausted.BILLABLE
    )
    return Decision(
        entitled=entitled,
        reasons=reasons,
        phase=phase,
        scope=scope if entitled else None,
        agreement=agreement,
        quota_remaining=remaining,
        billable=billable,
        quota_agreement=counted,
    )
