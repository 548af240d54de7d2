"""Which services a customer's agreements include on a day: what tickets asks before it
books a scheduled visit or declares an emergency (the plan's ``services``, seed 001/003),
and which support center (with its calendar's timezone) serves the customer."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.auth import Principal
from contracts.customers.service import get_customer
from contracts.included.schemas import AgreementServices, IncludedServices
from contracts.models import Agreement, Plan, SupportCenter


async def included_services(
    session: AsyncSession, principal: Principal, customer_id: uuid.UUID, day: date
) -> IncludedServices:
    """Another customer's id answers as an unknown one (404 ``CUSTOMER_NOT_FOUND``)."""
    customer = await get_customer(session, principal, customer_id)
    rows = (
        await session.execute(
            select(Agreement.id, Plan.id, Plan.code, Plan.services)
            .join(Plan, Plan.id == Agreement.plan_id)
            .where(
                Agreement.customer_id == customer.id,
                Agreement.status == "active",
                Agreement.starts_on <= day,
                Agreement.ends_on >= day,
            )
            .order_by(Agreement.starts_on, Agreement.id)
        )
    ).all()
    agreements = [
        AgreementServices(agreement_id=a, plan_id=p, plan_code=code, services=list(services))
        for a, p, code, services in rows
    ]
    center = await _center(session, customer.support_center_id, customer.region)
    timezone = center.calendar.get("timezone") if center is not None else None
    return IncludedServices(
        customer_id=customer.id,
        customer_name=customer.name,
        day=day,
        services=sorted({s for agreement in agreements for s in agreement.services}),
        agreements=agreements,
        support_center=center.code if center is not None else None,
        support_center_timezone=timezone if isinstance(timezone, str) else None,
    )


async def _center(
    session: AsyncSession, center_id: uuid.UUID | None, region: str
) -> SupportCenter | None:
    """The customer's own center, or the one serving its region (as the entitlement
    check picks it)."""
    if center_id is not None:
        return await session.get(SupportCenter, center_id)
    return await session.scalar(
        select(SupportCenter)
        .where(SupportCenter.regions.contains([region]))
        .order_by(SupportCenter.code)
        .limit(1)
    )
