from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Response, status

from careplane_shared.auth import CurrentPrincipal
from careplane_shared.db import DbSession
from careplane_shared.pagination import Page, PageParamsDep
from contracts.billing import service
from contracts.billing.exceptions import PeriodOutOfOrder
from contracts.billing.schemas import BillableItemRead, BillableKind, BillableRecord
from contracts.deps import OutboxDep, StaffOrIntegration

router = APIRouter(prefix="/v1/billable-items", tags=["billing"])


@router.get(
    "", response_model=Page[BillableItemRead], summary="Billable items per customer and period."
)
async def list_items(
    session: DbSession,
    principal: CurrentPrincipal,
    page: PageParamsDep,
    customer_id: uuid.UUID | None = None,
    kind: BillableKind | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Page[BillableItemRead]:
    """`since` inclusive, `until` exclusive, by when the work happened."""
    if since and until and until <= since:
        raise PeriodOutOfOrder()
    items, total = await service.list_items(
        session,
        principal,
        customer_id=customer_id,
        kind=kind,
        since=since,
        until=until,
        limit=page.limit,
        offset=page.offset,
    )
    return page.of([BillableItemRead.model_validate(i) for i in items], total)


@router.post(
    "",
    response_model=BillableItemRead,
    status_code=status.HTTP_201_CREATED,
    summary="Record a billable item (idempotent by key).",
)
async def record(
    session: DbSession,
    outbox: OutboxDep,
    principal: StaffOrIntegration,
    body: BillableRecord,
    response: Response,
) -> BillableItemRead:
    """Staff, the vendor's own integrations and services only. Other-support sessions are
    billed per started 30 minutes. A repeated `idempotency_key` from the same caller
    answers 200 with the item recorded the first time (keys are each caller's own)."""
    item, created = await service.record(session, outbox, principal, body)
    if not created:
        response.status_code = status.HTTP_200_OK
    return BillableItemRead.model_validate(item)
