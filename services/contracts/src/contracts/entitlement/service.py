"""The entitlement check: gathers the facts in a handful of indexed queries and hands them
to the pure rules."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.auth import Principal
from careplane_shared.sla_policy import CalendarSpec, SlaPolicy
from contracts.agreements import quota
from contracts.customers.service import ContactNotFound, support_center_for
from contracts.entitlement.rules import (
    AgreementFacts,
    ContactFacts,
    ContactRule,
    PlanFacts,
    WhenExhausted,
    decide,
)
from contracts.entitlement.schemas import EntitlementCheck, EntitlementResult
from contracts.models import (
    Agreement,
    Contact,
    Customer,
    MajorVersion,
    Plan,
    Product,
    Release,
    agreement_products,
)
from contracts.products.lifecycle import MajorVersionDates, lifecycles
from contracts.products.service import ProductNotFound, parse_major, release_known


def _day(at: datetime | date | None) -> date:
    if at is None:
        return datetime.now(UTC).date()
    if isinstance(at, datetime):
        return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC).date()
    return at


def _plan_facts(plan: Plan) -> PlanFacts:
    return PlanFacts(
        id=plan.id,
        code=plan.code,
        name=plan.name,
        contact_rule=ContactRule(plan.contact_rule),
        yearly_quota=plan.yearly_quota,
        when_exhausted=WhenExhausted(plan.when_exhausted),
        prerequisite_plan_id=plan.prerequisite_plan_id,
        sla_policy=plan.sla_policy,
    )


def _visible(principal: Principal, contact: Contact, on_behalf_of: uuid.UUID | None) -> bool:
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
    row = (
        await session.execute(
            select(Contact, Customer)
            .join(Customer, Customer.id == Contact.customer_id)
            .where(Contact.id == data.contact_id)
        )
    ).first()
    if row is None or not _visible(principal, row[0], data.customer_id):
        raise ContactNotFound()
    contact, customer = row

    versions = (
        await session.scalars(
            select(MajorVersion).where(MajorVersion.product_id == data.product_id)
        )
    ).all()
    if not versions and await session.get(Product, data.product_id) is None:
        raise ProductNotFound()

    agreement_rows = (
        await session.execute(
            select(Agreement, Plan, func.array_agg(agreement_products.c.product_id))
            .join(Plan, Plan.id == Agreement.plan_id)
            .join(agreement_products, agreement_products.c.agreement_id == Agreement.id)
            .where(Agreement.customer_id == customer.id)
            .group_by(Agreement.id, Plan.id)
        )
    ).all()
    plans = {plan.id: plan for _, plan, _ in agreement_rows}
    agreements = [
        AgreementFacts(
            id=agreement.id,
            plan=_plan_facts(plan),
            status=agreement.status,
            starts_on=agreement.starts_on,
            ends_on=agreement.ends_on,
            product_ids=frozenset(products),
        )
        for agreement, plan, products in agreement_rows
    ]
    remaining = await quota.remaining_by_agreement(
        session, [a.id for a in agreements if a.plan.yearly_quota is not None and a.active_at(day)]
    )

    major = parse_major(data.version)
    by_major = {
        lc.major: lc
        for lc in lifecycles(
            [
                MajorVersionDates(v.major, v.ga, v.eos, v.eoms_override, v.eol_override)
                for v in versions
            ]
        )
    }
    lifecycle = by_major.get(major) if major is not None else None
    version_known = False
    if lifecycle is not None:
        major_id = next(v.id for v in versions if v.major == major)
        releases = (
            await session.scalars(
                select(Release.version).where(Release.major_version_id == major_id)
            )
        ).all()
        version_known = release_known(data.version, releases)

    decision = decide(
        contact=ContactFacts(
            id=contact.id,
            customer_id=customer.id,
            registered=contact.registered,
            # An invitation not yet accepted is no active contact.
            active=contact.active and not contact.pending,
            is_admin=contact.is_admin,
        ),
        customer_standing=customer.standing,
        agreements=agreements,
        product_id=data.product_id,
        lifecycle=lifecycle,
        version_known=version_known,
        day=day,
        quota_remaining=remaining,
    )

    policy: dict[str, Any] | None = None
    center_code: str | None = None
    if decision.agreement is not None:
        center = await support_center_for(session, customer)
        center_code = center.code if center else None
        plan_policy = SlaPolicy.model_validate(plans[decision.agreement.plan.id].sla_policy)
        # The snapshot tickets computes with: a center-based calendar made concrete.
        center_calendar = CalendarSpec.model_validate(center.calendar) if center else None
        policy = plan_policy.resolved(center_calendar).model_dump(mode="json")
    return EntitlementResult(
        entitled=decision.entitled,
        reasons=[r.value for r in decision.reasons],
        phase=decision.phase.value if decision.phase else None,
        scope=decision.scope.value if decision.scope else None,
        quota_remaining=decision.quota_remaining,
        billable=decision.billable,
        sla_policy=policy,
        customer_id=customer.id,
        contact_id=contact.id,
        product_id=data.product_id,
        version=data.version,
        major_version=major,
        agreement_id=decision.agreement.id if decision.agreement else None,
        plan_id=decision.agreement.plan.id if decision.agreement else None,
        plan_code=decision.agreement.plan.code if decision.agreement else None,
        plan_name=decision.agreement.plan.name if decision.agreement else None,
        case_visibility=(
            plans[decision.agreement.plan.id].case_visibility if decision.agreement else None
        ),
        support_center=center_code,
        customer_language=customer.language,
        checked_at=day,
    )
