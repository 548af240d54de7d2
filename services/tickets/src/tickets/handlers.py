"""What tickets does with other services' events."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.events import CloudEvent, Inbox, Outbox
from tickets.models import Message, Ticket, TicketEvent


def register(inbox: Inbox, outbox: Outbox) -> None:
    @inbox.handler("license_key.issued")
    async def key_issued(session: AsyncSession, event: CloudEvent) -> None:
        """A key request case learns that its key was issued (an automated message: it
        never counts as a response; a person still answers the customer)."""
        data = event.data or {}
        raw = data.get("request_ticket_id")
        if not raw:
            return
        try:
            ticket = await session.get(Ticket, uuid.UUID(str(raw)))
        except ValueError:
            return
        if ticket is None:
            return
        now = datetime.now(UTC)
        message = Message(
            id=uuid.uuid4(),
            ticket_id=ticket.id,
            author_id="contracts",
            author_kind="system",
            body=(
                f"License key issued for major version {data.get('major_version')}"
                + (f", valid until {data['expires_at']}." if data.get("expires_at") else ".")
            ),
            internal=False,
            automated=True,
            created_at=now,
        )
        session.add(message)
        session.add(
            TicketEvent(
                id=uuid.uuid4(),
                ticket_id=ticket.id,
                at=now,
                kind="LICENSE_KEY_ISSUED",
                actor_id="contracts",
                actor_kind="system",
                to_value=str(data.get("license_key_id")),
                message_id=message.id,
                automated=True,
            )
        )
        await session.flush()
        await outbox.emit(
            session,
            "ticket.replied",
            {
                "ticket_id": str(ticket.id),
                "number": ticket.number,
                "customer_id": str(ticket.customer_id) if ticket.customer_id else None,
                "status": ticket.status,
                "message_id": str(message.id),
                "author_kind": "system",
                "automated": True,
                "body": message.body,
            },
            subject=ticket.number,
        )
