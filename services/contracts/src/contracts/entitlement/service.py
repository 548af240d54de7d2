"""The entitlement check: gathers the facts and hands them to the pure rules. What may
change at any moment (the caller's contact, customer, agreements and quota) is read in one
statement (:mod:`contracts.entitlement.repository`); the catalogue (lifecycles, releases,
plans, support centers) comes from the process's snapshot
(:mod:`contracts.entitlement.catalogue`)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.auth import Principal
from contracts.customers.exceptions import ContactNotFound
from contracts.entitlement import repository
from contracts.entitlement.catalogue import snapshot
from contracts.entitlement.rules import AgreementFacts, ContactFacts, decide
from contracts.entitlement.schemas import EntitlementCheck, EntitlementResult
from contracts.products.exceptions import ProductNotFound
from contracts.products.service import parse_major, release_known


def _day(at: datetime | date | None) -> date:
    if at is None:
        return datetime.now(UTC).date()
    if isinstance(at, datetime):
        return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC).date()
    return at


def _visible(principal: Principal, contact: ContactFacts, on_behalf_of: uuid.UUID | None) -> bool:
    """Whether the caller may ask about this contact at all; when not, the answer is the
    one for a contact that does not exist, given before anything about it is computed."""
    if on_behalf_of is not None and contact.customer_id != on_behalf_of:
        return False
    if not principal.is_customer:
        return principal.can_access_customer(contact.customer_id)
    if principal.customer_id != contact.customer_id:
        return False
    return principal.is_customer_admin or principal.subject == str(contact.id)


async def check(
    session: AsyncSession, principal: Principal, data: EntitlementCheck
) -> EntitlementResult:
    day = _day(data.at)
    facts = await repository.caller_facts(session, data.contact_id, day)
    if facts is None or not _visible(principal, facts.contact, data.customer_id):
        raise ContactNotFound()
    contact = facts.contact

    known = await snapshot(
        session,
        product_id=data.product_id,
        plan_ids={row.plan_id for row in facts.agreements},
        center_id=facts.support_center_id,
    )
    versions = known.products.get(data.product_id)
    if versions is None:
        raise ProductNotFound()

    agreements = [
        AgreementFacts(
            id=row.id,
            plan=known.plans[row.plan_id].facts,
            status=row.status,
            starts_on=row.starts_on,
            ends_on=row.ends_on,
            product_ids=row.product_ids,
        )
        for row in facts.agreements
    ]
    remaining = {
        agreement.id: row.remaining
        for agreement, row in zip(agreements, facts.agreements, strict=True)
        if row.remaining is not None and agreement.plan.yearly_quota is not None
    }

    major = parse_major(data.version)
    version = versions.get(major) if major is not None else None
    decision = decide(
        contact=contact,
        customer_standing=facts.standing,
        agreements=agreements,
        product_id=data.product_id,
        lifecycle=version.lifecycle if version else None,
        version_known=version is not None and release_known(data.version, version.releases),
        day=day,
        quota_remaining=remaining,
    )

    policy: dict[str, Any] | None = None
    center_code: str | None = None
    plan = known.plans[decision.agreement.plan.id] if decision.agreement else None
    if plan is not None:
        center = known.center_for(facts.support_center_id, facts.region)
        center_code = center.code if center else None
        policy = known.resolved_policy(plan.facts.id, center)
    return EntitlementResult(
        entitled=decision.entitled,
        reasons=[r.value for r in decision.reasons],
        phase=decision.phase.value if decision.phase else None,
        scope=decision.scope.value if decision.scope else None,
        quota_remaining=decision.quota_remaining,
        billable=decision.billable,
        sla_policy=policy,
        customer_id=contact.customer_id,
        contact_id=contact.id,
        product_id=data.product_id,
        version=data.version,
        major_version=major,
        agreement_id=decision.agreement.id if decision.agreement else None,
        plan_id=plan.facts.id if plan else None,
        plan_code=plan.facts.code if plan else None,
        plan_name=plan.facts.name if plan else None,
        case_visibility=plan.case_visibility if plan else None,
        support_center=center_code,
        customer_language=facts.language,
        checked_at=day,
    )
