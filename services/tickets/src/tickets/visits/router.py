"""``/v1/visits``: scheduled customer visits (seed 001)."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, status

from careplane_shared.auth import CurrentPrincipal
from careplane_shared.db import DbSession
from careplane_shared.pagination import Page, PageParamsDep
from tickets.deps import ContractsDep, OutboxDep, ReadSession
from tickets.visits import service
from tickets.visits.rules import VisitStatus
from tickets.visits.schemas import VisitCancel, VisitCreate, VisitRead

router = APIRouter(prefix="/v1/visits", tags=["visits"])


@router.get("", response_model=Page[VisitRead], summary="Scheduled visits, soonest first.")
async def list_visits(
    session: ReadSession,
    principal: CurrentPrincipal,
    page: PageParamsDep,
    customer_id: uuid.UUID | None = None,
    status: VisitStatus | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Page[VisitRead]:
    """Visits that overlap ``[since, until)``; a customer's callers see their own."""
    rows, total = await service.list_visits(
        session,
        principal,
        customer_id=customer_id,
        status=status,
        since=since,
        until=until,
        limit=page.limit,
        offset=page.offset,
    )
    return page.of([VisitRead.model_validate(r) for r in rows], total)


@router.post(
    "",
    response_model=VisitRead,
    status_code=status.HTTP_201_CREATED,
    summary="Book a visit (staff: confirmed) or ask for one (a customer: requested).",
)
async def schedule_visit(
    session: DbSession,
    outbox: OutboxDep,
    contracts: ContractsDep,
    principal: CurrentPrincipal,
    body: VisitCreate,
) -> VisitRead:
    """At least 48 hours ahead (422 ``VISIT_TOO_SOON``), where the customer's plan includes
    scheduled visits (422 ``VISIT_NOT_IN_PLAN``), not over another visit (409
    ``VISIT_OVERLAPS``)."""
    visit = await service.schedule(
        session, outbox, contracts=contracts, principal=principal, data=body
    )
    return VisitRead.model_validate(visit)


@router.get("/{visit_id}", response_model=VisitRead, summary="One visit.")
async def get_visit(
    session: ReadSession, principal: CurrentPrincipal, visit_id: uuid.UUID
) -> VisitRead:
    return VisitRead.model_validate(await service.get_visit(session, principal, visit_id))


@router.post("/{visit_id}/confirm", response_model=VisitRead, summary="Confirm a requested visit.")
async def confirm_visit(
    session: DbSession, outbox: OutboxDep, principal: CurrentPrincipal, visit_id: uuid.UUID
) -> VisitRead:
    """Staff only, still at least 48 hours before it starts (422 ``VISIT_TOO_SOON``)."""
    visit = await service.confirm(session, outbox, principal=principal, visit_id=visit_id)
    return VisitRead.model_validate(visit)


@router.post("/{visit_id}/cancel", response_model=VisitRead, summary="Cancel a visit.")
async def cancel_visit(
    session: DbSession,
    outbox: OutboxDep,
    principal: CurrentPrincipal,
    visit_id: uuid.UUID,
    body: VisitCancel,
) -> VisitRead:
    visit = await service.cancel(
        session, outbox, principal=principal, visit_id=visit_id, reason=body.reason
    )
    return VisitRead.model_validate(visit)
