"""The intake wired to the real contracts app, its SMTP listener on 127.0.0.1 (a free
port), and a real SMTP client (aiosmtplib) talking to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import aiosmtplib
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from careplane_shared.testing.ports import free_port
from tickets.inbound.app import handler_of
from tickets.inbound.intake import drain
from tickets.inbound.models import InboundMessage
from tickets.inbound.smtp import smtp_listener
from tickets.models import outbox_events

SUPPORT = "support@careplane.example"


def mail(
    sender: str,
    subject: str,
    body: str = "Hello, the export fails.",
    *,
    to: str = SUPPORT,
    **headers: str,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="client.example")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


@dataclass
class Mailer:
    app: FastAPI
    connection: AsyncConnection
    port: int

    async def send(
        self,
        message: EmailMessage | bytes,
        *,
        sender: str | None = None,
        recipients: list[str] | None = None,
    ) -> tuple[dict[str, Any], str]:
        """Sends over SMTP; the server's answer (per refused recipient) and its message."""
        if isinstance(message, bytes):
            return await aiosmtplib.send(
                message,
                sender=sender or "someone@client.example",
                recipients=recipients or [SUPPORT],
                hostname="127.0.0.1",
                port=self.port,
            )
        return await aiosmtplib.send(
            message,
            sender=sender,
            recipients=recipients,
            hostname="127.0.0.1",
            port=self.port,
        )

    async def drain(self) -> int:
        state = self.app.state
        return await drain(
            state.database.sessionmaker, state.inbound_services, state.inbound_config
        )

    async def deliver(self, message: EmailMessage | bytes, **kwargs: Any) -> InboundMessage:
        """Sends, lets the intake process it, returns the stored row as it ended."""
        await self.send(message, **kwargs)
        await self.drain()
        return await self.last()

    async def last(self) -> InboundMessage:
        maker = self.app.state.database.sessionmaker
        async with maker() as session:
            row = await session.scalar(
                select(InboundMessage).order_by(InboundMessage.received_at.desc()).limit(1)
            )
            assert row is not None
            return row

    async def events(self, type: str) -> list[dict[str, Any]]:
        rows = (
            await self.connection.execute(
                select(outbox_events.c.envelope)
                .where(outbox_events.c.type == type, outbox_events.c.destination == "notify")
                .order_by(outbox_events.c.created_at)
            )
        ).all()
        return [row.envelope["data"] for row in rows]


@pytest.fixture
async def mailer(live_app: FastAPI, tickets_connection: AsyncConnection) -> AsyncIterator[Mailer]:
    port = free_port()
    settings = live_app.state.settings
    async with smtp_listener(
        handler_of(live_app, settings),
        host="127.0.0.1",
        port=port,
        max_bytes=settings.inbound_max_message_bytes,
    ) as server:
        assert server is not None
        yield Mailer(live_app, tickets_connection, port)


@pytest.fixture
def compose():
    """``compose(sender, subject, body, **headers)`` → an EmailMessage to the support address."""
    return mail
