"""The SMTP listener for the support addresses (aiosmtpd), on the app's own event loop.

Recipients: the support address and its plus-addresses (replies), and the bounce
address's plus-addresses (notify's VERP envelope); anything else is 550. Size: aiosmtpd
counts the DATA as it streams and answers 552 past ``inbound_max_message_bytes`` (and
refuses a MAIL FROM whose SIZE says so). The message is committed to ``inbound_messages``
before 250; when the database fails the sender hears 451 and tries again later.

Only one process binds the port: with several workers of the app, the others find it taken
and run without a listener (logged); the intake worker runs in every one of them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import structlog
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tickets.inbound import storage
from tickets.inbound.tokens import plus_tag

log = structlog.get_logger(__name__)


def accepts_recipient(address: str, *, support_address: str, bounce_address: str) -> bool:
    tag = plus_tag(address)
    if tag.base == plus_tag(support_address).base:
        return True
    return tag.base == plus_tag(bounce_address).base and tag.delivery_id is not None


class IntakeHandler:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        support_address: str,
        bounce_address: str,
        on_stored: Callable[[], None] | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.support_address = support_address
        self.bounce_address = bounce_address
        self.on_stored = on_stored

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if not accepts_recipient(
            address, support_address=self.support_address, bounce_address=self.bounce_address
        ):
            return "550 5.1.1 No such recipient here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        content = envelope.content
        if not raw and isinstance(content, bytes):
            raw = content
        try:
            async with self.sessionmaker() as db, db.begin():
                row = await storage.store(
                    db,
                    raw,
                    source="smtp",
                    mail_from=envelope.mail_from or "",
                    rcpt_to=list(envelope.rcpt_tos),
                )
        except Exception:
            log.exception("inbound_store_failed", size=len(raw))
            return "451 4.3.0 Not stored, try again later"
        log.info("inbound_stored", id=str(row.id), size=len(raw), source="smtp")
        if self.on_stored is not None:
            self.on_stored()
        return f"250 2.0.0 Stored as {row.id}"


class IntakeSMTP(SMTP):
    """aiosmtpd's server, lenient about line length: real mail breaks RFC 5321's 1000
    octets (long HTML lines, huge headers) and is better kept than refused; the message
    size limit still bounds what is read."""

    line_length_limit = 1024 * 1024


@asynccontextmanager
async def smtp_listener(
    handler: IntakeHandler, *, host: str, port: int, max_bytes: int
) -> AsyncIterator[asyncio.Server | None]:
    """Serves SMTP on ``host:port`` until the block ends; None when the port is taken."""
    loop = asyncio.get_running_loop()

    def protocol() -> Any:
        return IntakeSMTP(
            handler,
            data_size_limit=max_bytes,
            hostname="careplane",
            ident="Careplane intake",
            enable_SMTPUTF8=True,
            loop=loop,
        )

    try:
        server = await loop.create_server(protocol, host=host, port=port)
    except OSError as exc:
        log.warning("inbound_smtp_port_taken", host=host, port=port, error=str(exc))
        yield None
        return
    log.info("inbound_smtp_listening", host=host, port=port)
    try:
        yield server
    finally:
        server.close()
        await server.wait_closed()
