"""Emergencies (seeds 001, 003): a case is declared an emergency, explicitly, by its
customer or by staff, where the customer's plan includes ``emergency``; the support
center's on-call staff are alerted at once (``ticket.emergency``: notify mails them and
posts to the chat channels), and where the plan also says ``emergency_billed`` the call
becomes a billable item in contracts (``ticket.billable_activity``, kind
``emergency_call``), booked once per emergency."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.auth import Principal
from careplane_shared.events import Outbox
from tickets.clients.contracts import ContractsClient
from tickets.emergencies.exceptions import (
    EmergencyAlreadyDeclared,
    EmergencyNotFound,
    EmergencyNotInPlan,
)
from tickets.oncall import service as oncall
from tickets.ticket import repository
from tickets.ticket.events import event_data
from tickets.ticket.exceptions import EntitlementPending, TicketClosed
from tickets.ticket.rules import Status
from tickets.ticket.transitions import entry
from tickets.visits.models import Emergency
from tickets.visits.plan_services import included

SERVICE = "emergency"
BILLED = "emergency_billed"


def billing_agreement(answer: dict[str, Any]) -> tuple[bool, str | None]:
    """Whether the emergency is billed, and on which agreement: the first agreement in
    force whose plan includes emergencies and bills them."""
    for agreement in answer.get("agreements", []):
        services = agreement.get("services", [])
        if SERVICE in services and BILLED in services:
            return True, agreement.get("agreement_id")
    return False, None


async def declare(
    session: AsyncSession,
    outbox: Outbox,
    *,
    contracts: ContractsClient,
    principal: Principal,
    ticket_id: uuid.UUID,
    reason: str,
) -> Emergency:
    ticket = await repository.get_ticket(
        session, principal=principal, ticket_id=ticket_id, lock=True
    )
    if ticket.status == Status.CLOSED.value:
        raise TicketClosed()
    if ticket.customer_id is None or ticket.status == Status.NEW.value:
        raise EntitlementPending()
    existing = await session.scalar(select(Emergency.id).where(Emergency.ticket_id == ticket.id))
    if existing is not None:
        raise EmergencyAlreadyDeclared()
    now = datetime.now(UTC)
    answer = await included(contracts, ticket.customer_id, now.date())
    if SERVICE not in answer.get("services", []):
        raise EmergencyNotInPlan(details={"services": answer.get("services", [])})
    billable, agreement_id = billing_agreement(answer)
    center = ticket.support_center or answer.get("support_center")
    alerted, _ = await oncall.on_call(session, center, now)
    emergency = Emergency(
        id=uuid.uuid4(),
        ticket_id=ticket.id,
        customer_id=ticket.customer_id,
        support_center=center,
        reason=reason,
        declared_by=principal.email or principal.subject,
        declared_at=now,
        billable=billable,
        billed_agreement_id=uuid.UUID(agreement_id) if agreement_id else None,
        alerted=alerted,
    )
    session.add(emergency)
    session.add(entry(ticket, "EMERGENCY", at=now, by=principal, reason=reason))
    await session.flush()
    await outbox.emit(
        session,
        "ticket.emergency",
        event_data(
            ticket,
            emergency=True,
            emergency_id=str(emergency.id),
            reason=reason,
            support_center=center,
            customer_name=answer.get("customer_name"),
            on_call=alerted,
            billable=billable,
            declared_by=emergency.declared_by,
        ),
        subject=ticket.number,
    )
    if billable:
        await outbox.emit(
            session,
            "ticket.billable_activity",
            {
                "customer_id": str(ticket.customer_id),
                "kind": "emergency_call",
                "agreement_id": agreement_id,
                "ticket_id": str(ticket.id),
                "occurred_at": now.isoformat(),
                "quantity": "1",
                "description": f"Emergency call on case {ticket.number}",
            },
            subject=ticket.number,
        )
    return emergency


async def get(session: AsyncSession, principal: Principal, ticket_id: uuid.UUID) -> Emergency:
    """The case's emergency (404 ``TICKET_NOT_FOUND`` for a case the caller may not see,
    ``EMERGENCY_NOT_FOUND`` for one that is not an emergency)."""
    ticket = await repository.get_ticket(session, principal=principal, ticket_id=ticket_id)
    emergency = await session.scalar(select(Emergency).where(Emergency.ticket_id == ticket.id))
    if emergency is None:
        raise EmergencyNotFound()
    return emergency
