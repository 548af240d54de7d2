"""``/v1/tickets/{ticket_id}/emergency``: declaring a case an emergency (seeds 001, 003)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from careplane_shared.auth import CurrentPrincipal
from careplane_shared.db import DbSession
from tickets.deps import ContractsDep, OutboxDep, ReadSession
from tickets.emergencies import service
from tickets.emergencies.schemas import EmergencyDeclare, EmergencyRead

router = APIRouter(prefix="/v1/tickets", tags=["emergencies"])


@router.post(
    "/{ticket_id}/emergency",
    response_model=EmergencyRead,
    status_code=status.HTTP_201_CREATED,
    summary="Declare the case an emergency: the on-call staff are alerted at once.",
)
async def declare_emergency(
    session: DbSession,
    outbox: OutboxDep,
    contracts: ContractsDep,
    principal: CurrentPrincipal,
    ticket_id: uuid.UUID,
    body: EmergencyDeclare,
) -> EmergencyRead:
    """Where the customer's plan includes emergencies (422 ``EMERGENCY_NOT_IN_PLAN``),
    once per case (409 ``EMERGENCY_ALREADY_DECLARED``), on an open case; billed where the
    plan says so. Whom it alerted is shown to staff only."""
    emergency = await service.declare(
        session,
        outbox,
        contracts=contracts,
        principal=principal,
        ticket_id=ticket_id,
        reason=body.reason,
    )
    return EmergencyRead.shown_to(emergency, principal)


@router.get("/{ticket_id}/emergency", response_model=EmergencyRead, summary="A case's emergency.")
async def get_emergency(
    session: ReadSession, principal: CurrentPrincipal, ticket_id: uuid.UUID
) -> EmergencyRead:
    return EmergencyRead.shown_to(await service.get(session, principal, ticket_id), principal)
