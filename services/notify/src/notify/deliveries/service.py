"""Reading the delivery record, resending one delivery, recovering failed ones."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from notify.access import Scope
from notify.deliveries.exceptions import DeliveryNotFound
from notify.models import Delivery, DeliveryAttempt

FINISHED_BADLY = ("failed", "dead")


def _scoped(query: Any, scope: Scope) -> Any:
    if scope.everyone:
        return query
    return query.where(Delivery.customer_id == scope.customer_id)


async def list_deliveries(
    session: AsyncSession,
    scope: Scope,
    *,
    filters: dict[str, Any],
    since: datetime | None,
    until: datetime | None,
    limit: int,
    offset: int,
) -> tuple[list[Delivery], int]:
    query = _scoped(select(Delivery), scope)
    for name, value in filters.items():
        if value is not None:
            query = query.where(getattr(Delivery, name) == value)
    if since is not None:
        query = query.where(Delivery.created_at >= since)
    if until is not None:
        query = query.where(Delivery.created_at < until)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(Delivery.created_at.desc(), Delivery.id).limit(limit).offset(offset)
    )
    return list(rows), total or 0


async def get(session: AsyncSession, scope: Scope, delivery_id: uuid.UUID) -> Delivery:
    delivery = await session.get(Delivery, delivery_id)
    if delivery is None or not (scope.everyone or delivery.customer_id == scope.customer_id):
        raise DeliveryNotFound()
    return delivery


async def attempts_of(session: AsyncSession, delivery_id: uuid.UUID) -> list[DeliveryAttempt]:
    rows = await session.scalars(
        select(DeliveryAttempt)
        .where(DeliveryAttempt.delivery_id == delivery_id)
        .order_by(DeliveryAttempt.id)
    )
    return list(rows)


_REQUEUE = {
    "status": "pending",
    "schedule_step": 0,
    "next_attempt_at": func.now(),
    "locked_by": None,
    "locked_until": None,
    "updated_at": func.now(),
}


async def resend(session: AsyncSession, scope: Scope, delivery_id: uuid.UUID) -> Delivery:
    """Queues the delivery again at once with a fresh retry schedule; the same row, so a
    webhook keeps its webhook-id and a mail its Message-ID."""
    delivery = await get(session, scope, delivery_id)
    await session.execute(update(Delivery).where(Delivery.id == delivery.id).values(**_REQUEUE))
    await session.refresh(delivery)
    return delivery


async def recover(
    session: AsyncSession,
    scope: Scope,
    *,
    since: datetime,
    until: datetime | None,
    endpoint_id: uuid.UUID | None,
    channel: str | None,
) -> int:
    """Queues every failed or dead delivery since ``since`` again."""
    statement = update(Delivery).where(
        Delivery.status.in_(FINISHED_BADLY), Delivery.created_at >= since
    )
    if not scope.everyone:
        statement = statement.where(Delivery.customer_id == scope.customer_id)
    if until is not None:
        statement = statement.where(Delivery.created_at < until)
    if endpoint_id is not None:
        statement = statement.where(Delivery.endpoint_id == endpoint_id)
    if channel is not None:
        statement = statement.where(Delivery.channel == channel)
    result = await session.execute(statement.values(**_REQUEUE).returning(Delivery.id))
    return len(result.all())
