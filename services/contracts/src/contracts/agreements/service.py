"""Agreements: a customer on a plan for a term, renewed year by year, priced by the plan."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.auth import Principal
from careplane_shared.events import Outbox
from contracts.agreements import quota
from contracts.agreements.exceptions import (
    AgreementAlreadyRenewed,
    AgreementNotFound,
    AgreementNotRenewable,
    AgreementStatusTransition,
    PlanInactive,
    PlanPrerequisiteMissing,
    ProductsUnknown,
)
from contracts.agreements.schemas import (
    AgreementCreate,
    AgreementRead,
    AgreementStatus,
    StatusChange,
)
from contracts.agreements.terms import PricingRule, price_for_year, term_for_year, upgrade_price
from contracts.customers.service import get_customer
from contracts.licensing import service as licensing
from contracts.models import Agreement, Plan, Product, agreement_products
from contracts.plans.service import get_plan


def pricing_rule(plan: Plan) -> PricingRule | None:
    if plan.first_year_percent is None or plan.later_years_percent is None:
        return None
    return PricingRule(plan.first_year_percent, plan.later_years_percent, plan.upgrade_percent)


def effective_status(agreement: Agreement, day: date) -> AgreementStatus:
    if agreement.status == AgreementStatus.ACTIVE and day > agreement.ends_on:
        return AgreementStatus.EXPIRED
    return AgreementStatus(agreement.status)


async def _product_ids(
    session: AsyncSession, agreement_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    rows = await session.execute(
        select(agreement_products.c.agreement_id, agreement_products.c.product_id).where(
            agreement_products.c.agreement_id.in_(agreement_ids)
        )
    )
    result: dict[uuid.UUID, list[uuid.UUID]] = {a: [] for a in agreement_ids}
    for agreement_id, product_id in rows:
        result[agreement_id].append(product_id)
    return result


async def to_read(
    session: AsyncSession, rows: Sequence[tuple[Agreement, Plan]], day: date
) -> list[AgreementRead]:
    ids = [a.id for a, _ in rows]
    products = await _product_ids(session, ids)
    left = await quota.remaining_by_agreement(
        session, [a.id for a, p in rows if p.yearly_quota is not None]
    )
    renewed: dict[uuid.UUID | None, uuid.UUID] = {
        previous: successor
        for previous, successor in await session.execute(
            select(Agreement.previous_agreement_id, Agreement.id).where(
                Agreement.previous_agreement_id.in_(ids)
            )
        )
    }
    result = []
    for agreement, plan in rows:
        rule = pricing_rule(plan)
        result.append(
            AgreementRead(
                id=agreement.id,
                customer_id=agreement.customer_id,
                plan_id=plan.id,
                plan_name=plan.name,
                year=agreement.year,
                anchor_date=agreement.anchor_date,
                starts_on=agreement.starts_on,
                ends_on=agreement.ends_on,
                term_months=agreement.term_months,
                status=effective_status(agreement, day),
                stored_status=AgreementStatus(agreement.status),
                license_price=agreement.license_price,
                currency=agreement.currency,
                price=agreement.price,
                upgrade_price=upgrade_price(rule, agreement.license_price) if rule else None,
                product_ids=sorted(products.get(agreement.id, [])),
                previous_agreement_id=agreement.previous_agreement_id,
                renewed_by_id=renewed.get(agreement.id),
                quota_remaining=left.get(agreement.id),
            )
        )
    return result


async def get_with_plan(
    session: AsyncSession, principal: Principal, agreement_id: uuid.UUID, *, lock: bool = False
) -> tuple[Agreement, Plan]:
    query = (
        select(Agreement, Plan)
        .join(Plan, Plan.id == Agreement.plan_id)
        .where(Agreement.id == agreement_id)
    )
    if lock:
        query = query.with_for_update(of=Agreement)
    row = (await session.execute(query)).first()
    if row is None or not principal.can_access_customer(row[0].customer_id):
        raise AgreementNotFound()
    return row[0], row[1]


async def list_agreements(
    session: AsyncSession,
    principal: Principal,
    *,
    day: date,
    customer_ids: Sequence[uuid.UUID] | None,
    plan_id: uuid.UUID | None,
    status: AgreementStatus | None,
    limit: int,
    offset: int,
) -> tuple[list[AgreementRead], int]:
    query = select(Agreement, Plan).join(Plan, Plan.id == Agreement.plan_id)
    if principal.customer_id is not None:
        query = query.where(Agreement.customer_id == principal.customer_id)
    if customer_ids:
        query = query.where(Agreement.customer_id.in_(customer_ids))
    if plan_id is not None:
        query = query.where(Agreement.plan_id == plan_id)
    if status is AgreementStatus.EXPIRED:
        query = query.where(
            (Agreement.status == "expired")
            | ((Agreement.status == "active") & (Agreement.ends_on < day))
        )
    elif status is AgreementStatus.ACTIVE:
        query = query.where(Agreement.status == "active", Agreement.ends_on >= day)
    elif status is not None:
        query = query.where(Agreement.status == status.value)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = [
        (agreement, plan)
        for agreement, plan in await session.execute(
            query.order_by(Agreement.starts_on.desc(), Agreement.id).limit(limit).offset(offset)
        )
    ]
    return await to_read(session, rows, day), total


async def _prerequisite_active(
    session: AsyncSession, customer_id: uuid.UUID, plan: Plan, starts_on: date, ends_on: date
) -> bool:
    """Premium needs a valid Basic agreement: one active over the new agreement's start."""
    if plan.prerequisite_plan_id is None:
        return True
    found = await session.scalar(
        select(Agreement.id).where(
            Agreement.customer_id == customer_id,
            Agreement.plan_id == plan.prerequisite_plan_id,
            Agreement.status == "active",
            Agreement.starts_on <= starts_on,
            Agreement.ends_on >= starts_on,
        )
    )
    return found is not None


def _event(agreement: Agreement, plan: Plan, **extra: Any) -> dict[str, Any]:
    return {
        "agreement_id": str(agreement.id),
        "customer_id": str(agreement.customer_id),
        "plan_id": str(plan.id),
        "plan_name": plan.name,
        "year": agreement.year,
        "starts_on": agreement.starts_on.isoformat(),
        "ends_on": agreement.ends_on.isoformat(),
        "status": agreement.status,
        **extra,
    }


async def create_agreement(
    session: AsyncSession, outbox: Outbox, principal: Principal, data: AgreementCreate
) -> Agreement:
    await get_customer(session, principal, data.customer_id)
    plan = await get_plan(session, data.plan_id)
    if not plan.active:
        raise PlanInactive()
    product_ids = sorted(set(data.product_ids))
    known = (await session.scalars(select(Product.id).where(Product.id.in_(product_ids)))).all()
    if len(known) != len(product_ids):
        missing = sorted(set(product_ids) - set(known))
        raise ProductsUnknown(missing)
    term = term_for_year(data.commencement, 1, data.term_months)
    if not await _prerequisite_active(
        session, data.customer_id, plan, term.starts_on, term.ends_on
    ):
        raise PlanPrerequisiteMissing.on_create(plan.prerequisite_plan_id)
    rule = pricing_rule(plan)
    agreement = Agreement(
        id=uuid.uuid4(),
        customer_id=data.customer_id,
        plan_id=plan.id,
        anchor_date=data.commencement,
        year=1,
        term_months=data.term_months,
        starts_on=term.starts_on,
        ends_on=term.ends_on,
        status="active",
        license_price=data.license_price,
        currency=data.currency,
        price=price_for_year(rule, data.license_price, 1) if rule else None,
    )
    session.add(agreement)
    await session.flush()
    await session.execute(
        agreement_products.insert(),
        [{"agreement_id": agreement.id, "product_id": p} for p in product_ids],
    )
    session.add_all(quota.grant_entries(agreement, plan, 0, principal.email or principal.subject))
    await session.flush()
    # Read back what was stored: the license price as the column keeps it (10000.00).
    await session.refresh(agreement)
    await outbox.emit(
        session,
        "agreement.created",
        _event(
            agreement, plan, price=str(agreement.price) if agreement.price is not None else None
        ),
        subject=str(agreement.id),
    )
    return agreement


async def renew(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    agreement_id: uuid.UUID,
    license_signing_key: Ed25519PrivateKey,
) -> Agreement:
    """Creates the next agreement year; with a rollover plan, unused tickets move along, and
    license keys bound to the year are issued again for the next."""
    previous, plan = await get_with_plan(session, principal, agreement_id, lock=True)
    if previous.status in ("cancelled", "suspended"):
        raise AgreementNotRenewable(previous.status)
    successor = await session.scalar(
        select(Agreement.id).where(Agreement.previous_agreement_id == previous.id)
    )
    if successor is not None:
        raise AgreementAlreadyRenewed(successor)
    year = previous.year + 1
    term = term_for_year(previous.anchor_date, year, previous.term_months)
    if not await _prerequisite_active(
        session, previous.customer_id, plan, term.starts_on, term.ends_on
    ):
        raise PlanPrerequisiteMissing.on_renewal()
    rule = pricing_rule(plan)
    agreement = Agreement(
        id=uuid.uuid4(),
        customer_id=previous.customer_id,
        plan_id=plan.id,
        anchor_date=previous.anchor_date,
        year=year,
        term_months=previous.term_months,
        starts_on=term.starts_on,
        ends_on=term.ends_on,
        status="active",
        license_price=previous.license_price,
        currency=previous.currency,
        price=price_for_year(rule, previous.license_price, year) if rule else None,
        previous_agreement_id=previous.id,
    )
    session.add(agreement)
    await session.flush()
    products = (await _product_ids(session, [previous.id]))[previous.id]
    await session.execute(
        agreement_products.insert(),
        [{"agreement_id": agreement.id, "product_id": p} for p in products],
    )
    by = principal.email or principal.subject
    rolled = 0
    if plan.yearly_quota is not None and plan.quota_rollover:
        rolled = max(await quota.remaining(session, previous.id), 0)
        if rolled:
            session.add(quota.rollover_out_entry(previous, rolled, by))
    session.add_all(quota.grant_entries(agreement, plan, rolled, by))
    await session.flush()
    await outbox.emit(
        session,
        "agreement.renewed",
        _event(agreement, plan, previous_agreement_id=str(previous.id), rolled_over=rolled),
        subject=str(agreement.id),
    )
    await licensing.renew_bound_keys(
        session, outbox, principal, license_signing_key, previous.id, agreement.id
    )
    return agreement


_ALLOWED = {
    "active": {"suspended", "cancelled", "expired"},
    "suspended": {"active", "cancelled"},
    "expired": set(),
    "cancelled": set(),
}


async def change_status(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    agreement_id: uuid.UUID,
    data: StatusChange,
) -> Agreement:
    agreement, plan = await get_with_plan(session, principal, agreement_id, lock=True)
    if data.status.value == agreement.status:
        return agreement
    if data.status.value not in _ALLOWED[agreement.status]:
        raise AgreementStatusTransition(agreement.status, data.status.value)
    old = agreement.status
    agreement.status = data.status.value
    agreement.status_reason = data.reason
    await session.flush()
    await outbox.emit(
        session,
        "agreement.status_changed",
        _event(agreement, plan, previous_status=old, reason=data.reason),
        subject=str(agreement.id),
    )
    return agreement
