"""The quarantine: mail held for staff, who release it (it then joins its case, or opens
one) or reject it (it stays stored, marked rejected). Decisions are final: a second one is
409 ``QUARANTINE_DECIDED``."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.auth import Principal
from tickets import access
from tickets.inbound import directory
from tickets.inbound.deliver import Services, open_case, released_principal, reply
from tickets.inbound.exceptions import (
    QuarantineDecided,
    QuarantineNoContact,
    QuarantineNotFound,
    RawMessageNotFound,
)
from tickets.inbound.intake import finish
from tickets.inbound.models import InboundMessage, QuarantinedMail
from tickets.inbound.parse import parse
from tickets.inbound.schemas import QuarantinedMailRead, QuarantineReason, QuarantineStatus
from tickets.models import Message, Ticket
from tickets.ticket import repository

Held = tuple[QuarantinedMail, InboundMessage]


def view(held: QuarantinedMail, mail: InboundMessage) -> QuarantinedMailRead:
    return QuarantinedMailRead(
        id=held.id,
        received_at=mail.received_at,
        mail_from=mail.mail_from,
        from_address=mail.from_address,
        to_addresses=list(mail.rcpt_to),
        subject=mail.subject,
        reason=QuarantineReason(held.reason),
        ticket_id=held.ticket_id,
        ticket_number=held.ticket_number,
        status=QuarantineStatus(held.status),
        decided_by=held.decided_by,
        decided_at=held.decided_at,
        decision_reason=held.decision_reason,
        size=mail.size,
    )


async def list_held(
    session: AsyncSession, *, status: QuarantineStatus | None, limit: int, offset: int
) -> tuple[Sequence[Held], int]:
    query = select(QuarantinedMail, InboundMessage).join(
        InboundMessage, InboundMessage.id == QuarantinedMail.inbound_id
    )
    count = select(func.count()).select_from(QuarantinedMail)
    if status is not None:
        query = query.where(QuarantinedMail.status == status.value)
        count = count.where(QuarantinedMail.status == status.value)
    rows = await session.execute(
        query.order_by(QuarantinedMail.created_at.desc(), QuarantinedMail.id)
        .limit(limit)
        .offset(offset)
    )
    return [(q, m) for q, m in rows], int(await session.scalar(count) or 0)


async def get_held(session: AsyncSession, held_id: uuid.UUID, *, lock: bool = False) -> Held:
    query = (
        select(QuarantinedMail, InboundMessage)
        .join(InboundMessage, InboundMessage.id == QuarantinedMail.inbound_id)
        .where(QuarantinedMail.id == held_id)
    )
    if lock:
        query = query.with_for_update(of=QuarantinedMail)
    row = (await session.execute(query)).first()
    if row is None:
        raise QuarantineNotFound()
    return row[0], row[1]


def _decide(held: QuarantinedMail, principal: Principal, status: str, reason: str | None) -> None:
    if held.status != QuarantineStatus.HELD.value:
        raise QuarantineDecided(details={"status": held.status})
    held.status = status
    held.decided_by = principal.email or principal.subject
    held.decided_at = datetime.now(UTC)
    held.decision_reason = reason


async def reject(
    session: AsyncSession, *, principal: Principal, held_id: uuid.UUID, reason: str | None
) -> Held:
    access.ensure_staff(principal, "decide on quarantined mail")
    held, mail = await get_held(session, held_id, lock=True)
    _decide(held, principal, QuarantineStatus.REJECTED.value, reason)
    mail.outcome = "rejected"
    await session.flush()
    return held, mail


async def release(
    session: AsyncSession, services: Services, *, principal: Principal, held_id: uuid.UUID
) -> tuple[Held, uuid.UUID, uuid.UUID | None]:
    """The mail joins the case it names as the customer's message (staff vouch for the
    sender), or opens a case when it names none and its sender is a registered contact."""
    access.ensure_staff(principal, "decide on quarantined mail")
    held, row = await get_held(session, held_id, lock=True)
    _decide(held, principal, QuarantineStatus.RELEASED.value, None)
    parsed = parse(row.raw, attachment_limit=services.attachment_limit)
    address = parsed.from_address or row.mail_from or "unknown"
    message_id: uuid.UUID | None = None
    if held.ticket_id is not None:
        ticket = await session.get(Ticket, held.ticket_id, with_for_update=True)
        if ticket is None:
            raise QuarantineNotFound()
        _, case, message = await reply(
            session, services, ticket=ticket, principal=released_principal(ticket, address),
            mail=parsed, received_at=row.received_at, event_extra={"auto_answer": False},
        )  # fmt: skip
        message_id = message.id if message else None
    else:
        contact = await directory.contact_by_email(services.contracts, address)
        product = contact and await directory.product_for(services.contracts, contact.customer_id)
        if contact is None or not product:
            raise QuarantineNoContact()
        case = await open_case(
            session, services, contact_id=uuid.UUID(contact.id), product_id=uuid.UUID(product[0]),
            version=product[1], mail=parsed, received_at=row.received_at,
            event_extra={"auto_answer": False},
        )  # fmt: skip
    row.ticket_id, row.ticket_message_id = case.id, message_id
    finish(row, "DONE", "released", released_by=held.decided_by)
    await session.flush()
    return (held, row), case.id, message_id


async def raw_message(
    session: AsyncSession, *, principal: Principal, ticket_id: uuid.UUID, message_id: uuid.UUID
) -> bytes:
    """The stored bytes of a case message that came by mail (staff only)."""
    access.ensure_staff(principal, "read raw mail")
    ticket = await repository.get_ticket(session, principal=principal, ticket_id=ticket_id)
    message = await session.get(Message, message_id)
    if message is None or message.ticket_id != ticket.id:
        raise RawMessageNotFound()
    raw = await session.scalar(
        select(InboundMessage.raw).where(InboundMessage.ticket_message_id == message.id).limit(1)
    )
    if raw is None:
        raise RawMessageNotFound()
    return raw


async def raw_opening(
    session: AsyncSession, *, principal: Principal, ticket_id: uuid.UUID
) -> bytes:
    """The stored bytes of the mail that opened the case (staff only)."""
    access.ensure_staff(principal, "read raw mail")
    ticket = await repository.get_ticket(session, principal=principal, ticket_id=ticket_id)
    raw = await session.scalar(
        select(InboundMessage.raw)
        .where(InboundMessage.ticket_id == ticket.id, InboundMessage.ticket_message_id.is_(None),
               InboundMessage.outcome.in_(("opened", "linked", "released")))
        .order_by(InboundMessage.received_at)
        .limit(1)
    )  # fmt: skip
    if raw is None:
        raise RawMessageNotFound()
    return raw
