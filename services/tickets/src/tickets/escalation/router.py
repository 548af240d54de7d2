"""The routes of escalations, the escalation path's contact attempts and priority change
requests, all under one case (``/v1/tickets/{ticket_id}/...``).

A case has at most one open escalation of each kind and one waiting change request, so the
routes that end them name the case alone.
"""

from __future__ import annotations

import uuid
from functools import partial

from fastapi import APIRouter, status

from careplane_shared.auth import CurrentPrincipal, StaffPrincipal
from careplane_shared.db import DbSession
from careplane_shared.pagination import PageParamsDep
from tickets.deps import ContractsDep, OutboxDep, PolicyDep, ReadSession
from tickets.escalation import changes, service
from tickets.escalation.csm import manager_of
from tickets.escalation.schemas import (
    ChangeRequestCreate,
    ChangeRequestDecide,
    ChangeRequestRead,
    ContactAttemptCreate,
    ContactAttemptPage,
    ContactAttemptRead,
    EscalationCreate,
    EscalationRead,
    EscalationResolve,
    TeamReturn,
)
from tickets.ticket.router import changed_view
from tickets.ticket.schemas import TicketRead

router = APIRouter(prefix="/v1/tickets/{ticket_id}", tags=["escalations"])


@router.post("/escalations", response_model=TicketRead, summary="Escalate a case.")
async def escalate(
    session: DbSession,
    outbox: OutboxDep,
    contracts: ContractsDep,
    policy: PolicyDep,
    principal: CurrentPrincipal,
    ticket_id: uuid.UUID,
    body: EscalationCreate,
) -> TicketRead:
    """`CUSTOMER` (the customer, or staff for it): the Client Services Manager of the
    customer's region owns the follow-up until it is resolved and is mailed. `INTERNAL`
    (staff only): the case goes to `team` until the team returns it; its reason and team
    are never shown to the customer. The case becomes ESCALATED. A reason is required
    (422 `ESCALATION_REASON_REQUIRED`); one open escalation of each kind per case (409
    `ESCALATION_OPEN`)."""
    change = await service.escalate(
        session,
        outbox,
        find_manager=partial(manager_of, contracts),
        principal=principal,
        ticket_id=ticket_id,
        kind=body.kind,
        reason=body.reason,
        team=body.team,
        policy=policy,
    )
    return await changed_view(session, change)


@router.get("/escalations", response_model=list[EscalationRead], summary="A case's escalations.")
async def list_escalations(
    session: ReadSession, principal: CurrentPrincipal, ticket_id: uuid.UUID
) -> list[EscalationRead]:
    """Oldest first. A customer sees its own escalations only, never internal ones."""
    return await service.escalations(session, principal=principal, ticket_id=ticket_id)


@router.post(
    "/escalations/resolve",
    response_model=TicketRead,
    summary="Resolve the customer's escalation (its Client Services Manager, or a manager).",
)
async def resolve_escalation(
    session: DbSession,
    outbox: OutboxDep,
    policy: PolicyDep,
    principal: StaffPrincipal,
    ticket_id: uuid.UUID,
    body: EscalationResolve,
) -> TicketRead:
    """403 `NOT_ESCALATION_OWNER` for other staff; 409 `NO_OPEN_ESCALATION` without one.
    The case goes back to the status it had, unless a team still has it."""
    change = await service.resolve(
        session,
        outbox,
        principal=principal,
        ticket_id=ticket_id,
        resolution=body.resolution,
        policy=policy,
    )
    return await changed_view(session, change)


@router.post(
    "/escalations/return",
    response_model=TicketRead,
    summary="The team is done: the case returns from its internal escalation (staff).",
)
async def return_from_team(
    session: DbSession,
    outbox: OutboxDep,
    policy: PolicyDep,
    principal: StaffPrincipal,
    ticket_id: uuid.UUID,
    body: TeamReturn,
) -> TicketRead:
    change = await service.return_from_team(
        session, outbox, principal=principal, ticket_id=ticket_id, note=body.note, policy=policy
    )
    return await changed_view(session, change)


@router.post(
    "/contact-attempts",
    response_model=ContactAttemptRead,
    status_code=status.HTTP_201_CREATED,
    summary="Record an attempt to reach the customer (staff).",
)
async def record_contact_attempt(
    session: DbSession,
    principal: StaffPrincipal,
    ticket_id: uuid.UUID,
    body: ContactAttemptCreate,
) -> ContactAttemptRead:
    """The escalation path is email → phone → web conference. A later step before an
    earlier one is accepted and marked `skipped_ahead`."""
    attempt = await service.record_attempt(
        session,
        principal=principal,
        ticket_id=ticket_id,
        channel=body.channel,
        outcome=body.outcome,
        note=body.note,
    )
    return ContactAttemptRead.model_validate(attempt)


@router.get(
    "/contact-attempts",
    response_model=ContactAttemptPage,
    summary="The attempts to reach the customer, with the path's next step.",
)
async def list_contact_attempts(
    session: ReadSession, principal: CurrentPrincipal, page: PageParamsDep, ticket_id: uuid.UUID
) -> ContactAttemptPage:
    """Oldest first; the customer sees them without staff's notes."""
    return await service.attempts(session, principal=principal, ticket_id=ticket_id, page=page)


@router.post(
    "/change-requests",
    response_model=ChangeRequestRead,
    status_code=status.HTTP_201_CREATED,
    summary="Ask for another priority or category (the customer).",
)
async def request_change(
    session: DbSession,
    outbox: OutboxDep,
    principal: CurrentPrincipal,
    ticket_id: uuid.UUID,
    body: ChangeRequestCreate,
) -> ChangeRequestRead:
    """422 `MOTIVATION_REQUIRED` or `PRIORITY_UNKNOWN`; 409 `PRIORITY_UNCHANGED`,
    `CHANGE_REQUEST_PENDING` or `TICKET_CLOSED`; staff get 403 `CUSTOMERS_ONLY` (they
    change the priority themselves)."""
    request = await changes.request_change(
        session,
        outbox,
        principal=principal,
        ticket_id=ticket_id,
        priority=body.priority,
        motivation=body.motivation,
    )
    return ChangeRequestRead.model_validate(request)


@router.get(
    "/change-requests",
    response_model=list[ChangeRequestRead],
    summary="A case's change requests and their outcomes.",
)
async def list_change_requests(
    session: ReadSession, principal: CurrentPrincipal, ticket_id: uuid.UUID
) -> list[ChangeRequestRead]:
    found = await changes.change_requests(session, principal=principal, ticket_id=ticket_id)
    return [ChangeRequestRead.model_validate(r) for r in found]


@router.post(
    "/change-requests/decision",
    response_model=ChangeRequestRead,
    summary="Accept or refuse the waiting change request, with a reason (staff).",
)
async def decide_change(
    session: DbSession,
    outbox: OutboxDep,
    policy: PolicyDep,
    principal: StaffPrincipal,
    ticket_id: uuid.UUID,
    body: ChangeRequestDecide,
) -> ChangeRequestRead:
    """Accepted: the priority changes and the SLA clocks are recomputed from their
    original starts. Either way the customer sees the outcome and its reason. 422
    `DECISION_REASON_REQUIRED`; 409 `NO_PENDING_CHANGE_REQUEST`."""
    request = await changes.decide(
        session,
        outbox,
        principal=principal,
        ticket_id=ticket_id,
        decision=body.decision,
        reason=body.reason,
        policy=policy,
    )
    return ChangeRequestRead.model_validate(request)
