"""The entitlement check: gathers the facts (the caller's contact, customer, agreements and
quota in one statement, see :mod:`contracts.entitlement.repository`) and hands them to
the pure rules."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.auth import Principal
from careplane_shared.sla_policy import CalendarSpec, SlaPolicy
from contracts.customers.service import ContactNotFound
from contracts.entitlement import repository
from contracts.entitlement.repository import CallerFacts
from contracts.entitlement.rules import AgreementFacts, ContactFacts, decide
from contracts.entitlement.schemas import EntitlementCheck, EntitlementResult
from contracts.models import MajorVersion, Product, Release, SupportCenter
from contracts.products.lifecycle import MajorVersionDates, lifecycles
from contracts.products.service import ProductNotFound, parse_major, release_known


def _day(at: datetime | date | None) -> date:
    if at is None:
        return datetime.now(UTC).date()
    if isinstance(at, datetime):
        return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC).date()
    return at


async def _support_center(session: AsyncSession, facts: CallerFacts) -> SupportCenter | None:
    """The customer's own center, or the one serving its region (seed 000: the closest)."""
    if facts.support_center_id is not None:
        return await session.get(SupportCenter, facts.support_center_id)
    return await session.scalar(
        select(SupportCenter)
        .where(SupportCenter.regions.contains([facts.region]))
        .order_by(SupportCenter.code)
        .limit(1)
    )


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

    versions = (
        await session.scalars(
            select(MajorVersion).where(MajorVersion.product_id == data.product_id)
        )
    ).all()
    if not versions and await session.get(Product, data.product_id) is None:
        raise ProductNotFound()

    plans = {row.plan.id: row for row in facts.agreements}
    agreements = [
        AgreementFacts(
            id=row.id,
            plan=row.plan,
            status=row.status,
            starts_on=row.starts_on,
            ends_on=row.ends_on,
            product_ids=row.product_ids,
        )
        for row in facts.agreements
    ]
    remaining = {
        row.id: row.remaining
        for row in facts.agreements
        if row.remaining is not None and row.plan.yearly_quota is not None
    }

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
        contact=contact,
        customer_standing=facts.standing,
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
        center = await _support_center(session, facts)
        center_code = center.code if center else None
        plan_policy = SlaPolicy.model_validate(decision.agreement.plan.sla_policy)
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
        customer_id=contact.customer_id,
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
        customer_language=facts.language,
        checked_at=day,
    )
