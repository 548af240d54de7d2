"""Billable items: extras a customer pays for beyond its agreement (seeds 002, 003)."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.auth import Principal
from careplane_shared.billing import billed_minutes
from careplane_shared.events import Outbox
from contracts.agreements.exceptions import AgreementNotOfCustomer
from contracts.billing.exceptions import IdempotencyKeyReused, MinutesRequired
from contracts.billing.schemas import BillableKind, BillableRecord
from contracts.customers.service import get_customer
from contracts.models import Agreement, BillableItem

_UNITS = {
    BillableKind.EXTRA_TICKET: "ticket",
    BillableKind.SERVICE_REQUEST: "request",
    BillableKind.EMERGENCY_CALL: "call",
    BillableKind.ONSITE_VISIT: "visit",
    BillableKind.OTHER_SUPPORT: "hour",
    BillableKind.UPGRADE: "upgrade",
}


def billed_hours(minutes: int) -> Decimal:
    """Other-support sessions are billed per started half hour (seed 002)."""
    return Decimal(billed_minutes(minutes)) / Decimal(60)


def request_hash(data: BillableRecord) -> str:
    """What the idempotency key stands for: the request's fields, normalized (the same
    item written another way, ``1`` or ``1.00``, a time in another zone, is the same)."""
    normalized = data.model_dump(mode="json", exclude={"idempotency_key"})
    normalized["occurred_at"] = data.occurred_at.astimezone(UTC).isoformat()
    if data.quantity is not None:
        normalized["quantity"] = str(data.quantity.normalize())
    return hashlib.sha256(json.dumps(normalized, sort_keys=True).encode()).hexdigest()


def _replay(existing: BillableItem, data: BillableRecord) -> tuple[BillableItem, bool]:
    """The item recorded with this key before, if it was recorded for the same request."""
    if existing.request_hash is not None and existing.request_hash != request_hash(data):
        raise IdempotencyKeyReused()
    return existing, False


async def record(
    session: AsyncSession, outbox: Outbox, principal: Principal, data: BillableRecord
) -> tuple[BillableItem, bool]:
    """Records one item; the same idempotency key twice from the same caller records it
    once (False). Keys are each caller's own: another caller's key records anew and never
    answers with the other's item. The same key with another request is a 422
    ``IDEMPOTENCY_KEY_REUSED``."""
    await get_customer(session, principal, data.customer_id)
    if data.idempotency_key:
        existing = await session.scalar(
            select(BillableItem).where(
                BillableItem.recorded_by == principal.subject,
                BillableItem.idempotency_key == data.idempotency_key,
            )
        )
        if existing is not None:
            return _replay(existing, data)
    if data.agreement_id is not None:
        agreement = await session.get(Agreement, data.agreement_id)
        if agreement is None or agreement.customer_id != data.customer_id:
            raise AgreementNotOfCustomer()
    if data.kind is BillableKind.OTHER_SUPPORT:
        if data.minutes is None:
            raise MinutesRequired()
        quantity = billed_hours(data.minutes)
    else:
        quantity = data.quantity or Decimal(1)
    item = BillableItem(
        id=uuid.uuid4(),
        customer_id=data.customer_id,
        agreement_id=data.agreement_id,
        kind=data.kind.value,
        quantity=quantity,
        unit=_UNITS[data.kind],
        minutes_worked=data.minutes,
        ticket_id=data.ticket_id,
        description=data.description,
        occurred_at=data.occurred_at,
        idempotency_key=data.idempotency_key,
        request_hash=request_hash(data) if data.idempotency_key else None,
        recorded_by=principal.subject,
    )
    try:
        async with session.begin_nested():
            session.add(item)
            await session.flush()
    except IntegrityError:
        # The same caller's same key, recorded a moment ago by a concurrent request.
        existing = await session.scalar(
            select(BillableItem).where(
                BillableItem.recorded_by == principal.subject,
                BillableItem.idempotency_key == data.idempotency_key,
            )
        )
        if existing is None:
            raise
        return _replay(existing, data)
    # Answer what was stored (quantity to the cent, time in UTC), as a repeat of the
    # same idempotency key will.
    await session.refresh(item)
    await outbox.emit(
        session,
        "billing.item_recorded",
        {
            "billable_item_id": str(item.id),
            "customer_id": str(item.customer_id),
            "kind": item.kind,
            "quantity": str(item.quantity),
            "unit": item.unit,
            "ticket_id": str(item.ticket_id) if item.ticket_id else None,
        },
        subject=str(item.customer_id),
    )
    return item, True


async def list_items(
    session: AsyncSession,
    principal: Principal,
    *,
    customer_id: uuid.UUID | None,
    kind: BillableKind | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    offset: int,
) -> tuple[Sequence[BillableItem], int]:
    query = select(BillableItem)
    if principal.customer_id is not None:
        query = query.where(BillableItem.customer_id == principal.customer_id)
    if customer_id is not None:
        query = query.where(BillableItem.customer_id == customer_id)
    if kind is not None:
        query = query.where(BillableItem.kind == kind.value)
    if since is not None:
        query = query.where(BillableItem.occurred_at >= since)
    if until is not None:
        query = query.where(BillableItem.occurred_at < until)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = (
        await session.scalars(
            query.order_by(BillableItem.occurred_at, BillableItem.id).limit(limit).offset(offset)
        )
    ).all()
    return items, total
