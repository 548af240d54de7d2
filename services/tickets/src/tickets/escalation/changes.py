"""Customers' priority change requests (seed 002: "the customer may ask for another
category and must motivate it; staff accept or refuse, and the SLA is recalculated").

The priority is the plan's own scale: Category I / II / III for the Invantive plan, Low /
Normal / High for InfoCare, and so on; a "category" change request is a request for
another value of it. Accepting goes through the one path that changes a priority,
:func:`tickets.ticket.service.change_priority`: the clocks are recomputed from their
original starts and ``ticket.priority_changed`` is emitted. Either decision emits
``ticket.change_request_decided`` so the customer hears of it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.auth import Principal
from careplane_shared.events import Outbox
from tickets import access
from tickets.escalation.exceptions import (
    ChangeRequestPending,
    CustomersOnly,
    DecisionReasonRequired,
    MotivationRequired,
    NoPendingChangeRequest,
)
from tickets.escalation.models import ChangeRequest
from tickets.escalation.rules import ChangeStatus, Decision, given
from tickets.ticket import clocks, repository, service
from tickets.ticket.events import event_data
from tickets.ticket.exceptions import PriorityUnchanged, PriorityUnknown, TicketClosed
from tickets.ticket.policy import TicketPolicy
from tickets.ticket.rules import Status
from tickets.ticket.transitions import actor, entry


async def _pending(session: AsyncSession, ticket_id: uuid.UUID) -> ChangeRequest | None:
    found: ChangeRequest | None = await session.scalar(
        select(ChangeRequest).where(
            ChangeRequest.ticket_id == ticket_id,
            ChangeRequest.status == ChangeStatus.PENDING.value,
        )
    )
    return found


async def request_change(
    session: AsyncSession,
    outbox: Outbox,
    *,
    principal: Principal,
    ticket_id: uuid.UUID,
    priority: str,
    motivation: str | None,
) -> ChangeRequest:
    """The customer asks; nothing changes until staff decide. 422 without a motivation or
    for a priority the plan does not have; 409 for the case's own priority, a closed case,
    or while another request waits."""
    if not principal.is_customer:
        raise CustomersOnly()
    ticket = await repository.get_ticket(
        session, principal=principal, ticket_id=ticket_id, lock=True
    )
    if ticket.status == Status.CLOSED.value:
        raise TicketClosed()
    why = given(motivation)
    if why is None:
        raise MotivationRequired()
    sla = clocks.policy_of(ticket)
    if sla is not None and priority not in sla.priorities:
        raise PriorityUnknown(
            f"Priority {priority!r} is not one of this plan's.",
            details={"allowed": sla.priorities},
        )
    if priority == ticket.priority:
        raise PriorityUnchanged()
    waiting = await _pending(session, ticket.id)
    if waiting is not None:
        raise ChangeRequestPending(details={"change_request_id": str(waiting.id)})
    now = datetime.now(UTC)
    request = ChangeRequest(
        id=uuid.uuid4(),
        ticket_id=ticket.id,
        from_priority=ticket.priority,
        to_priority=priority,
        motivation=why,
        status=ChangeStatus.PENDING.value,
        requested_by=actor(principal)[0],
        requested_at=now,
    )
    session.add(request)
    session.add(
        entry(
            ticket,
            "CHANGE_REQUESTED",
            at=now,
            by=principal,
            from_value=ticket.priority,
            to_value=priority,
            reason=why,
        )
    )
    await session.flush()
    await outbox.emit(
        session,
        "ticket.change_requested",
        event_data(
            ticket,
            change_request_id=str(request.id),
            previous_priority=ticket.priority,
            requested_priority=priority,
            motivation=why,
        ),
        subject=ticket.number,
    )
    return request


async def decide(
    session: AsyncSession,
    outbox: Outbox,
    *,
    principal: Principal,
    ticket_id: uuid.UUID,
    decision: Decision,
    reason: str | None,
    policy: TicketPolicy,
) -> ChangeRequest:
    """Staff accept (the priority changes, clocks recomputed from their original starts)
    or refuse the case's waiting request, with a reason the customer sees."""
    access.ensure_staff(principal, "decide change requests")
    ticket = await repository.get_ticket(
        session, principal=principal, ticket_id=ticket_id, lock=True
    )
    request = await _pending(session, ticket.id)
    if request is None:
        raise NoPendingChangeRequest()
    why = given(reason)
    if why is None:
        raise DecisionReasonRequired()
    if decision is Decision.ACCEPTED:
        # The case is locked already; change_priority reads it again under the same lock.
        await service.change_priority(
            session,
            outbox,
            principal=principal,
            ticket_id=ticket.id,
            priority=request.to_priority,
            reason=why,
            policy=policy,
        )
    else:
        session.add(
            entry(
                ticket,
                "CHANGE_REFUSED",
                at=datetime.now(UTC),
                by=principal,
                from_value=request.from_priority,
                to_value=request.to_priority,
                reason=why,
            )
        )
    request.status = ChangeStatus(decision.value).value
    request.decided_by = actor(principal)[0]
    request.decided_at = datetime.now(UTC)
    request.decision_reason = why
    await session.flush()
    await outbox.emit(
        session,
        "ticket.change_request_decided",
        event_data(
            ticket,
            change_request_id=str(request.id),
            decision=request.status,
            requested_priority=request.to_priority,
            previous_priority=request.from_priority,
            reason=why,
        ),
        subject=ticket.number,
    )
    return request


async def change_requests(
    session: AsyncSession, *, principal: Principal, ticket_id: uuid.UUID
) -> list[ChangeRequest]:
    """Newest first; the customer sees its requests and both outcomes."""
    ticket = await repository.get_ticket(session, principal=principal, ticket_id=ticket_id)
    rows = await session.scalars(
        select(ChangeRequest)
        .where(ChangeRequest.ticket_id == ticket.id)
        .order_by(ChangeRequest.requested_at.desc(), ChangeRequest.id)
    )
    return list(rows)
