"""What an accepted mail does to the cases: a reply joins its case (reopening it within
the reopen window, or opening a new linked case after it), a new mail opens a case.

Each goes through the same services the API uses (tickets.ticket.conversation.reply,
service.reopen, service.open_ticket), so the history, clocks and events are the same as
for any other channel; the mail's attachments are stored like uploads, within the same
size limit.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.auth import Principal, Role
from careplane_shared.events import Outbox
from tickets.attachments.content import media_type
from tickets.attachments.storage import AttachmentStorage, TooLarge
from tickets.clients.contracts import ContractsClient
from tickets.inbound.directory import Contact
from tickets.inbound.parse import MailAttachment, ParsedMail
from tickets.models import Attachment, Message, Ticket
from tickets.ticket import conversation, service
from tickets.ticket.exceptions import RefusedCaseNotReopened
from tickets.ticket.policy import TicketPolicy
from tickets.ticket.rules import Channel, Status
from tickets.ticket.schemas import TicketOpen

INTAKE = "mail-intake"
EMPTY = "(The mail had no text.)"


@dataclass(frozen=True, slots=True)
class Services:
    """What the intake writes through."""

    outbox: Outbox
    contracts: ContractsClient
    policy: TicketPolicy
    storage: AttachmentStorage
    attachment_limit: int
    reopen_window: timedelta


def contact_principal(contact: Contact) -> Principal:
    """The sender as the contact it is: replies are the customer's, with its visibility."""
    return Principal(
        subject=contact.id,
        role=Role.CONTACT,
        customer_id=uuid.UUID(contact.customer_id),
        email=contact.email,
    )


def released_principal(ticket: Ticket, address: str) -> Principal:
    """A mail staff released from quarantine: written as the customer's (it is the
    customer's side of the conversation), under the sender's address, for its case."""
    return Principal(
        subject=str(ticket.contact_id),
        role=Role.CUSTOMER_ADMIN,
        customer_id=ticket.customer_id,
        email=address,
    )


def intake_principal(address: str) -> Principal:
    """The mail intake opens cases as the vendor's own integration (it sets the channel
    and the receipt time), on behalf of the sending contact (``opened_by`` its address)."""
    return Principal(subject=INTAKE, role=Role.INTEGRATION, email=address)


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def store_attachments(
    session: AsyncSession,
    services: Services,
    *,
    ticket: Ticket,
    attachments: list[MailAttachment],
    by: str,
) -> list[str]:
    """Stores each attachment like an upload; returns what was left out (too large)."""
    left_out = []
    for attachment in attachments:
        try:
            stored = await services.storage.save(
                _chunks(attachment.data), services.attachment_limit
            )
        except TooLarge:
            left_out.append(attachment.filename)
            continue
        session.add(
            Attachment(
                id=uuid.uuid4(),
                ticket_id=ticket.id,
                filename=attachment.filename[:300],
                content_type=media_type(attachment.content_type),
                size=stored.size,
                sha256=stored.sha256,
                storage_key=stored.key,
                uploaded_by=by,
            )
        )
    await session.flush()
    return left_out


async def reopen_window(services: Services, ticket: Ticket) -> timedelta:
    """The case's plan's reopen window, the one that also decides whether a reopened case
    gives its quota ticket back (contracts); the setting's default for a plan with none.
    Contracts unreachable: the mail waits for it, as every mail that needs contracts does."""
    if ticket.plan_id is not None:
        days = await services.contracts.reopen_window_days(ticket.plan_id)
        if days is not None:
            return timedelta(days=days)
    return services.reopen_window


def reopens(ticket: Ticket, *, at: datetime, window: timedelta) -> bool:
    """Whether mail to a closed case received ``at`` reopens it (else: a new linked case)."""
    if ticket.entitlement_status == "refused":
        return False
    return ticket.closed_at is None or at <= ticket.closed_at + window


async def reply(
    session: AsyncSession,
    services: Services,
    *,
    ticket: Ticket,
    principal: Principal,
    mail: ParsedMail,
    received_at: datetime,
    event_extra: dict[str, Any],
) -> tuple[str, Ticket, Message | None]:
    """(outcome, the case written to, the message) for a reply to ``ticket``;
    ``event_extra`` goes to the ``ticket.opened`` of a new linked case."""
    outcome = "replied"
    if ticket.status == Status.CLOSED.value:
        window = await reopen_window(services, ticket)
        if not reopens(ticket, at=received_at, window=window):
            return await follow_up(
                session, services, ticket=ticket, mail=mail, received_at=received_at,
                event_extra=event_extra,
            )  # fmt: skip
        try:
            await service.reopen(
                session,
                services.outbox,
                principal=principal,
                ticket_id=ticket.id,
                reason="the customer answered by mail",
                policy=services.policy,
            )
        except RefusedCaseNotReopened:  # pragma: no cover - reopens() rules it out
            return await follow_up(
                session, services, ticket=ticket, mail=mail, received_at=received_at,
                event_extra=event_extra,
            )  # fmt: skip
        outcome = "reopened"
    message = await conversation.reply(
        session,
        services.outbox,
        principal=principal,
        ticket_id=ticket.id,
        body=mail.reply_text or EMPTY,
        internal=False,
        policy=services.policy,
    )
    await store_attachments(
        session, services, ticket=ticket, attachments=mail.attachments, by=principal.email or ""
    )
    return outcome, ticket, message


async def follow_up(
    session: AsyncSession,
    services: Services,
    *,
    ticket: Ticket,
    mail: ParsedMail,
    received_at: datetime,
    event_extra: dict[str, Any],
) -> tuple[str, Ticket, Message | None]:
    """Mail to a case closed longer than the reopen window opens a new case, linked to the
    old one by ``external_refs.follows``."""
    opened = await open_case(
        session,
        services,
        contact_id=ticket.contact_id,
        product_id=ticket.product_id,
        version=ticket.version,
        mail=mail,
        received_at=received_at,
        extra_refs={"follows": ticket.number},
        event_extra={**event_extra, "follows": ticket.number},
    )
    return "linked", opened, None


async def open_case(
    session: AsyncSession,
    services: Services,
    *,
    contact_id: uuid.UUID,
    product_id: uuid.UUID,
    version: str,
    mail: ParsedMail,
    received_at: datetime,
    extra_refs: dict[str, str] | None = None,
    event_extra: dict[str, Any] | None = None,
) -> Ticket:
    address = mail.from_address or ""
    data = TicketOpen(
        contact_id=contact_id,
        product_id=product_id,
        version=version,
        subject=(mail.subject or "(no subject)")[:300],
        description=(mail.text or EMPTY)[:100_000],
        channel=Channel.EMAIL,
        received_at=received_at,
        language=_language(mail),
        external_refs={**({"message_id": mail.message_id[:200]} if mail.message_id else {}),
                       **(extra_refs or {})},
    )  # fmt: skip
    change = await service.open_ticket(
        session,
        services.outbox,
        contracts=services.contracts,
        principal=intake_principal(address),
        data=data,
        policy=services.policy,
        event_extra={"inbound_message_id": mail.message_id, **(event_extra or {})},
    )
    await store_attachments(
        session, services, ticket=change.ticket, attachments=mail.attachments, by=address
    )
    return change.ticket


def _language(mail: ParsedMail) -> str | None:
    language = (mail.content_language or "").lower()[:2]
    return language if language in ("en", "nl") else None
