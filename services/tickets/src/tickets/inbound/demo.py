"""Demo data of the mail intake: one mail from a demo contact, stored as if the listener
had just received it, so the first `make run` shows a case opened by mail (its raw mail at
``GET /v1/tickets/{id}/raw``). Stored once: a later run finds it and adds nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from tickets.inbound import storage
from tickets.inbound.models import InboundMessage

DEMO_MESSAGE_ID = "demo-mail-1@acme-water.example"
DEMO_MAIL = (
    "From: Ana Alvarez <ana@acme-water.example>\r\n"
    "To: support@careplane.example\r\n"
    "Subject: Nightly export stops at 02:00\r\n"
    f"Message-ID: <{DEMO_MESSAGE_ID}>\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "Hello,\r\n\r\nsince Monday our nightly export stops at 02:00 with error E-1042.\r\n"
    "Could you have a look?\r\n\r\nAna\r\n"
).encode()


async def seed(database_url: str) -> None:
    engine = create_async_engine(database_url)
    try:
        async with async_sessionmaker(engine)() as session, session.begin():
            # Unprocessed, the row has no message_id yet: its bytes say it is there.
            there = await session.scalar(
                select(InboundMessage.id).where(
                    or_(
                        InboundMessage.message_id == DEMO_MESSAGE_ID,
                        InboundMessage.raw == DEMO_MAIL,
                    )
                )
            )
            if there is None:
                await storage.store(
                    session,
                    DEMO_MAIL,
                    source="smtp",
                    mail_from="ana@acme-water.example",
                    rcpt_to=["support@careplane.example"],
                    received_at=datetime.now(UTC),
                )
    finally:
        await engine.dispose()
