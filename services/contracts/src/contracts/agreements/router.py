from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status

from careplane_shared.auth import STAFF_ROLES, CurrentPrincipal, Principal, Role, require_roles
from careplane_shared.db import DbSession
from careplane_shared.pagination import Page, PageParamsDep
from contracts.agreements import quota, service
from contracts.agreements.schemas import (
    AgreementCreate,
    AgreementRead,
    AgreementStatus,
    ConsumeRequest,
    ConsumeResult,
    ExchangeRequest,
    PurchaseRequest,
    QuotaEntryRead,
    QuotaSummary,
    ReversalRequest,
    StatusChange,
)
from contracts.clock import today
from contracts.deps import CustomerIds, Manager, OutboxDep

router = APIRouter(prefix="/v1/agreements", tags=["agreements"])

Booker = Annotated[Principal, Depends(require_roles(STAFF_ROLES, Role.SERVICE))]


async def _read(session: DbSession, principal: Principal, agreement_id: uuid.UUID) -> AgreementRead:
    row = await service.get_with_plan(session, principal, agreement_id)
    return (await service.to_read(session, [row], today()))[0]


@router.get("", response_model=Page[AgreementRead], summary="List agreements.")
async def list_agreements(
    session: DbSession,
    principal: CurrentPrincipal,
    page: PageParamsDep,
    customer_id: CustomerIds = None,
    plan_id: uuid.UUID | None = None,
    status: AgreementStatus | None = None,
) -> Page[AgreementRead]:
    """A customer's contacts see their own customer's agreements only."""
    items, total = await service.list_agreements(
        session,
        principal,
        day=today(),
        customer_ids=customer_id,
        plan_id=plan_id,
        status=status,
        limit=page.limit,
        offset=page.offset,
    )
    return page.of(items, total)


@router.post(
    "",
    response_model=AgreementRead,
    status_code=status.HTTP_201_CREATED,
    summary="Create an agreement (its first year).",
)
async def create_agreement(
    session: DbSession, outbox: OutboxDep, principal: Manager, body: AgreementCreate
) -> AgreementRead:
    """Prices year 1 by the plan's rule and grants the yearly quota. A plan with a
    prerequisite (Premium) needs an active agreement on it (422 `PLAN_PREREQUISITE_MISSING`)."""
    agreement = await service.create_agreement(session, outbox, principal, body)
    return await _read(session, principal, agreement.id)


@router.get("/{agreement_id}", response_model=AgreementRead, summary="One agreement.")
async def get_agreement(
    session: DbSession, principal: CurrentPrincipal, agreement_id: uuid.UUID
) -> AgreementRead:
    return await _read(session, principal, agreement_id)


@router.post(
    "/{agreement_id}/renew",
    response_model=AgreementRead,
    status_code=status.HTTP_201_CREATED,
    summary="Renew: create the next agreement year.",
)
async def renew(
    request: Request,
    session: DbSession,
    outbox: OutboxDep,
    principal: Manager,
    agreement_id: uuid.UUID,
) -> AgreementRead:
    """Later years are priced at the plan's later-years rate; unused tickets roll over when
    the plan says so; license keys bound to the year are issued again for the next one
    (`license_key.reissued`). Renewing the same year twice is a 409."""
    agreement = await service.renew(
        session, outbox, principal, agreement_id, request.app.state.license_signing_key
    )
    return await _read(session, principal, agreement.id)


@router.post(
    "/{agreement_id}/status", response_model=AgreementRead, summary="Suspend, reactivate or cancel."
)
async def change_status(
    session: DbSession,
    outbox: OutboxDep,
    principal: Manager,
    agreement_id: uuid.UUID,
    body: StatusChange,
) -> AgreementRead:
    await service.change_status(session, outbox, principal, agreement_id, body)
    return await _read(session, principal, agreement_id)


@router.get(
    "/{agreement_id}/quota", response_model=QuotaSummary, summary="Ticket quota of the year."
)
async def quota_summary(
    session: DbSession, principal: CurrentPrincipal, agreement_id: uuid.UUID
) -> QuotaSummary:
    """Derived from the ledger: granted (grant, rollover in, purchases), consumed (net of
    reversals) and remaining."""
    agreement, plan = await service.get_with_plan(session, principal, agreement_id)
    return await quota.summary(session, agreement, plan)


@router.get(
    "/{agreement_id}/quota/entries",
    response_model=Page[QuotaEntryRead],
    summary="The quota ledger, oldest first.",
)
async def quota_entries(
    session: DbSession, principal: CurrentPrincipal, agreement_id: uuid.UUID, page: PageParamsDep
) -> Page[QuotaEntryRead]:
    await service.get_with_plan(session, principal, agreement_id)
    items, total = await quota.list_entries(
        session, agreement_id, limit=page.limit, offset=page.offset
    )
    return page.of([QuotaEntryRead.model_validate(e) for e in items], total)


@router.post(
    "/{agreement_id}/quota/consume",
    response_model=ConsumeResult,
    summary="Book a resolved ticket against the quota (idempotent per ticket).",
)
async def consume(
    session: DbSession,
    outbox: OutboxDep,
    principal: Booker,
    agreement_id: uuid.UUID,
    body: ConsumeRequest,
) -> ConsumeResult:
    """Normally booked from tickets' events; exposed for staff corrections and integrations.
    With the quota used up: 409 `QUOTA_EXHAUSTED`, or a billable extra ticket."""
    await service.get_with_plan(session, principal, agreement_id)
    return await quota.consume(
        session,
        outbox,
        agreement_id,
        ticket_id=body.ticket_id,
        key=body.idempotency_key,
        by=principal.email or principal.subject,
    )


@router.post(
    "/{agreement_id}/quota/reversal",
    response_model=ConsumeResult,
    summary="Give back a ticket's consumption (the ticket was reopened).",
)
async def reverse(
    session: DbSession,
    outbox: OutboxDep,
    principal: Booker,
    agreement_id: uuid.UUID,
    body: ReversalRequest,
) -> ConsumeResult:
    await service.get_with_plan(session, principal, agreement_id)
    return await quota.reverse(
        session,
        outbox,
        agreement_id,
        ticket_id=body.ticket_id,
        key=body.idempotency_key,
        by=principal.email or principal.subject,
    )


@router.post(
    "/{agreement_id}/quota/purchases",
    response_model=QuotaEntryRead,
    status_code=status.HTTP_201_CREATED,
    summary="Add purchased tickets.",
)
async def purchase(
    session: DbSession,
    outbox: OutboxDep,
    principal: Manager,
    agreement_id: uuid.UUID,
    body: PurchaseRequest,
) -> QuotaEntryRead:
    await service.get_with_plan(session, principal, agreement_id)
    entry = await quota.purchase(
        session, outbox, agreement_id, body.amount, body.note, principal.email or principal.subject
    )
    return QuotaEntryRead.model_validate(entry)


@router.post(
    "/{agreement_id}/quota/exchanges",
    response_model=QuotaEntryRead,
    status_code=status.HTTP_201_CREATED,
    summary="Exchange unused tickets for a premium service.",
)
async def exchange(
    session: DbSession,
    outbox: OutboxDep,
    principal: Manager,
    agreement_id: uuid.UUID,
    body: ExchangeRequest,
) -> QuotaEntryRead:
    await service.get_with_plan(session, principal, agreement_id)
    entry = await quota.exchange(
        session,
        outbox,
        agreement_id,
        body.amount,
        body.service,
        principal.email or principal.subject,
    )
    return QuotaEntryRead.model_validate(entry)
