"""The conversation on a case: replies from either side and staff's internal notes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.auth import Principal
from careplane_shared.events import Outbox
from tickets import access
from tickets.models import Message, Ticket
from tickets.ticket import repository
from tickets.ticket.exceptions import TicketClosed
from tickets.ticket.policy import TicketPolicy
from tickets.ticket.rules import Status
from tickets.ticket.transitions import Emit, actor, entry, move


async def reply(
    session: AsyncSession,
    outbox: Outbox,
    *,
    principal: Principal,
    ticket_id: uuid.UUID,
    body: str,
    internal: bool,
    policy: TicketPolicy,
) -> Message:
    """A staff reply answers the customer (stops response clocks); a customer reply to a
    Pending case puts it back to Open; internal notes are staff-only and move no clock."""
    if internal:
        access.ensure_may_write_internal(principal)
    ticket = await repository.get_ticket(
        session, principal=principal, ticket_id=ticket_id, lock=True
    )
    if ticket.status == Status.CLOSED.value:
        raise TicketClosed("The case is closed; reopen it to continue.")
    now = datetime.now(UTC)
    author_id, author_kind = actor(principal)
    message = Message(
        id=uuid.uuid4(),
        ticket_id=ticket.id,
        author_id=author_id,
        author_kind=author_kind,
        body=body,
        internal=internal,
        automated=principal.is_service,
        created_at=now,
    )
    session.add(message)
    previous = ticket.status
    reopens = principal.is_customer and previous == Status.PENDING.value
    emits = []
    if not internal:
        emits.append(
            Emit(
                "ticket.replied",
                {"message_id": str(message.id), "author_kind": author_kind, "body": body},
            )
        )
    if reopens:
        emits.append(
            Emit(
                "ticket.status_changed", {"previous_status": previous, "reason": "customer replied"}
            )
        )
    await move(
        session,
        outbox,
        ticket=ticket,
        policy=policy,
        at=now,
        by=principal,
        to=Status.OPEN if reopens else None,
        reason="customer replied",
        entries=[
            entry(
                ticket,
                "CUSTOMER_REPLY" if principal.is_customer else "STAFF_REPLY",
                at=now,
                by=principal,
                message_id=message.id,
                internal=internal,
                automated=message.automated,
            )
        ],
        emits=emits,
    )
    return message


async def messages(
    session: AsyncSession, *, principal: Principal, ticket: Ticket
) -> Sequence[Message]:
    """The case's messages in order; internal notes only for those who may see them."""
    query = (
        select(Message)
        .where(Message.ticket_id == ticket.id)
        .order_by(Message.created_at, Message.id)
    )
    if not access.sees_internal(principal):
        query = query.where(Message.internal.is_(False))
    return (await session.scalars(query)).all()
