"""Opening cases and moving them through their statuses, priorities and assignees
(escalations: :mod:`tickets.escalation`).

Every change goes through :func:`tickets.ticket.transitions.move`: it writes the case's
history (the source of its SLA clocks), recomputes the clocks and timers, and emits its
event through the outbox, in the request's transaction. Reads live in
:mod:`~tickets.ticket.repository`, the conversation in :mod:`~tickets.ticket.conversation`,
the background entitlement recheck in :mod:`~tickets.ticket.recheck`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.auth import Principal, PrincipalKind
from careplane_shared.errors import Conflict
from careplane_shared.events import Outbox
from tickets import access
from tickets.clients.contracts import ContractsClient
from tickets.models import Ticket
from tickets.survey import service as surveys
from tickets.ticket import clocks, kept_clocks, repository
from tickets.ticket.entitlement import apply_entitlement, check_at_open, sla_inputs_given
from tickets.ticket.events import event_data
from tickets.ticket.exceptions import (
    ContactForbidden,
    ContactRequired,
    PriorityUnchanged,
    PriorityUnknown,
    ReceivedAtInFuture,
    ReceivedAtInvalid,
    RefusedCaseNotReopened,
    TicketNotClosed,
)
from tickets.ticket.policy import TicketPolicy
from tickets.ticket.rules import (
    Status,
    TransitionError,
    check_staff_transition,
    severity,
)
from tickets.ticket.schemas import TicketOpen
from tickets.ticket.transitions import Emit, TicketChange, entry, move, status_change
from tickets.visits import service as visits
from tickets.visits.exceptions import ScheduledVisitReadOnly


def _contact_of(principal: Principal, data: TicketOpen) -> uuid.UUID:
    if not access.may_open_for(principal, data.contact_id):
        raise ContactForbidden()
    if data.contact_id is not None:
        return data.contact_id
    if principal.kind is PrincipalKind.CUSTOMER:
        return uuid.UUID(principal.subject)
    raise ContactRequired()


async def open_ticket(
    session: AsyncSession,
    outbox: Outbox,
    *,
    contracts: ContractsClient,
    principal: Principal,
    data: TicketOpen,
    policy: TicketPolicy,
    event_extra: Mapping[str, Any] | None = None,
) -> TicketChange:
    """An entitled case opens at once with its number and clocks; when contracts cannot
    be reached it is accepted as NEW with its entitlement pending. The case, its history
    and its timers are written in one statement, its ``ticket.opened`` event in one more
    (``event_extra``: what the mail intake adds to it, e.g. ``auto_answer``)."""
    now = datetime.now(UTC)
    if "scheduled_visit" in data.model_fields_set:
        raise ScheduledVisitReadOnly(details={"field": "scheduled_visit"})
    access.ensure_sla_inputs(principal, sla_inputs_given(data))
    contact_id = _contact_of(principal, data)
    received_at = data.received_at or now
    if received_at.tzinfo is None:
        raise ReceivedAtInvalid()
    if received_at > now:
        raise ReceivedAtInFuture()
    answer = await check_at_open(
        contracts, principal=principal, contact_id=contact_id, data=data, received_at=received_at
    )
    ticket = Ticket(
        id=uuid.uuid4(),
        customer_id=principal.customer_id,
        contact_id=contact_id,
        product_id=data.product_id,
        version=data.version,
        subject=data.subject,
        description=data.description,
        error_code=data.error_code,
        error_message=data.error_message,
        steps_to_reproduce=data.steps_to_reproduce,
        type=data.type.value,
        priority=data.priority,
        severity=severity(data.priority),
        language=data.language or "auto",
        channel=data.channel.value,
        external_refs=data.external_refs,
        status=Status.NEW.value,
        received_at=received_at,
        entitlement_status="pending",
        scheduled_visit=False,
        opened_by=principal.email or principal.subject,
    )
    if answer is not None:
        apply_entitlement(ticket, answer, requested_priority=data.priority)
        # The visit target: set here, from the customer's confirmed visit, never by the body.
        ticket.scheduled_visit = await visits.is_visit_case(session, ticket, received_at)
    elif ticket.language == "auto":
        ticket.language = "en"
    # What move() does for a change, done before anything is written: the whole history
    # is in hand, so the clocks need no read and the case no timers to replace.
    history = [
        entry(ticket, "OPENED", at=received_at, by=principal, to_value=ticket.priority),
        *status_change(
            ticket, Status.OPEN if answer is not None else None, at=received_at, by=None
        ),
    ]
    computed = clocks.compute(ticket, history, as_of=now)
    kept_clocks.keep(ticket, history, computed, as_of=now)
    timers, ticket.next_due_at = clocks.timer_rows(
        ticket, clocks=computed, warning_fraction=policy.warning_fraction
    )
    await repository.insert_opened(
        session, ticket, number_prefix=policy.number_prefix, history=history, timers=timers
    )
    await outbox.emit(
        session,
        "ticket.opened",
        event_data(
            ticket,
            channel=ticket.channel,
            entitlement_status=ticket.entitlement_status,
            **(event_extra or {}),
        ),
        subject=ticket.number,
    )
    return TicketChange(ticket, computed)


async def change_status(
    session: AsyncSession,
    outbox: Outbox,
    *,
    principal: Principal,
    ticket_id: uuid.UUID,
    target: Status,
    reason: str | None,
    policy: TicketPolicy,
    resolution: str | None = None,
) -> TicketChange:
    """Staff move a case by hand (409 with the rule's code when the move is not allowed);
    closing records the resolution and emits ``ticket.closed`` too."""
    access.ensure_may_move_status(principal)
    ticket = await repository.get_ticket(
        session, principal=principal, ticket_id=ticket_id, lock=True
    )
    current = Status(ticket.status)
    try:
        check_staff_transition(current, target)
    except TransitionError as exc:
        raise Conflict(
            str(exc), code=exc.code, details={"from": current.value, "to": target.value}
        ) from exc
    emits = [Emit("ticket.status_changed", {"previous_status": current.value, "reason": reason})]
    if target is Status.CLOSED:
        ticket.resolution = resolution or reason
        emits.append(
            Emit(
                "ticket.closed",
                {"resolution": ticket.resolution, "counts_against_quota": True},
            )
        )
    now = datetime.now(UTC)
    change = await move(
        session,
        outbox,
        ticket=ticket,
        policy=policy,
        at=now,
        by=principal,
        to=target,
        reason=resolution or reason,
        emits=emits,
    )
    if target is Status.CLOSED and policy.surveys is not None:
        await surveys.offer(session, outbox, ticket, policy.surveys, now)
    return change


async def reopen(
    session: AsyncSession,
    outbox: Outbox,
    *,
    principal: Principal,
    ticket_id: uuid.UUID,
    reason: str,
    policy: TicketPolicy,
) -> TicketChange:
    """A closed case opens again; its resolution clock resumes where it stopped."""
    ticket = await repository.get_ticket(
        session, principal=principal, ticket_id=ticket_id, lock=True
    )
    if ticket.status != Status.CLOSED.value:
        raise TicketNotClosed()
    if ticket.entitlement_status == "refused":
        raise RefusedCaseNotReopened()
    # Contracts gives the quota back only within the plan's reopen window after the close.
    closed_at = ticket.closed_at.isoformat() if ticket.closed_at else None
    return await move(
        session,
        outbox,
        ticket=ticket,
        policy=policy,
        at=datetime.now(UTC),
        by=principal,
        to=Status.OPEN,
        reason=reason,
        emits=[Emit("ticket.reopened", {"reason": reason, "closed_at": closed_at})],
    )


async def change_priority(
    session: AsyncSession,
    outbox: Outbox,
    *,
    principal: Principal,
    ticket_id: uuid.UUID,
    priority: str,
    reason: str,
    policy: TicketPolicy,
) -> TicketChange:
    """Staff reclassify a case; its clocks are recomputed from their original starts. A
    customer's caller is refused (its change request is how it asks)."""
    ticket = await repository.get_ticket(
        session, principal=principal, ticket_id=ticket_id, lock=True
    )
    access.ensure_may_reclassify(principal)
    sla = clocks.policy_of(ticket)
    if sla is not None and priority not in sla.priorities:
        raise PriorityUnknown(
            f"Priority {priority!r} is not one of this plan's.",
            details={"allowed": sla.priorities},
        )
    if priority == ticket.priority:
        raise PriorityUnchanged()
    now = datetime.now(UTC)
    previous = ticket.priority
    ticket.priority = priority
    ticket.severity = severity(priority)
    changed = entry(
        ticket,
        "PRIORITY_CHANGE",
        at=now,
        by=principal,
        from_value=previous,
        to_value=priority,
        reason=reason,
    )
    return await move(
        session,
        outbox,
        ticket=ticket,
        policy=policy,
        at=now,
        by=principal,
        entries=[changed],
        emits=[Emit("ticket.priority_changed", {"previous_priority": previous, "reason": reason})],
    )


async def assign(
    session: AsyncSession,
    outbox: Outbox,
    *,
    principal: Principal,
    ticket_id: uuid.UUID,
    assignee_id: uuid.UUID | None,
) -> TicketChange:
    """Staff give a case to an agent (or to nobody). No clock depends on it: the clocks
    are not recomputed (the answer reads them from the history)."""
    access.ensure_staff(principal, "assign cases")
    ticket = await repository.get_ticket(
        session, principal=principal, ticket_id=ticket_id, lock=True
    )
    previous = ticket.assignee_id
    ticket.assignee_id = assignee_id
    session.add(
        entry(
            ticket,
            "ASSIGNED",
            at=datetime.now(UTC),
            by=principal,
            from_value=str(previous) if previous else None,
            to_value=str(assignee_id) if assignee_id else None,
        )
    )
    await session.flush()
    await outbox.emit(
        session,
        "ticket.assigned",
        event_data(ticket, assignee_id=str(assignee_id) if assignee_id else None),
        subject=ticket.number,
    )
    return TicketChange(ticket)
