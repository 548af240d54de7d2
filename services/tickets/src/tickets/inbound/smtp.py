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


class Sessions:
    """The listener's open sessions, so that a stopping listener finishes the mail in
    progress and closes the rest."""

    def __init__(self) -> None:
        self.open: set[IntakeSMTP] = set()
        self.closing = False

    def in_progress(self) -> int:
        return sum(1 for session in self.open if session.in_transaction)


class IntakeSMTP(SMTP):
    """aiosmtpd's server, lenient about line length: real mail breaks RFC 5321's 1000
    octets (long HTML lines, huge headers) and is better kept than refused; the message
    size limit still bounds what is read. Once the listener stops, a new MAIL FROM is
    answered 421 and the session closed."""

    line_length_limit = 1024 * 1024

    def __init__(self, handler: IntakeHandler, *, sessions: Sessions, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.sessions = sessions

    @property
    def in_transaction(self) -> bool:
        return self.envelope is not None and self.envelope.mail_from is not None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.sessions.open.add(self)

    def connection_lost(self, error: Exception | None) -> None:
        self.sessions.open.discard(self)
        super().connection_lost(error)

    async def smtp_MAIL(self, arg: str | None) -> None:
        if self.sessions.closing:
            await self.push("421 4.3.2 Shutting down, try again later")
            if self.transport is not None:
                self.transport.close()
            return
        await super().smtp_MAIL(arg)


async def _stop_serving(
    server: asyncio.Server, sessions: Sessions, drain_seconds: float
) -> dict[str, int]:
    """Stops accepting connections and mail, lets the mail in progress (MAIL FROM given,
    the DATA not yet answered) finish for at most ``drain_seconds``, then closes every
    session left, whose sender never heard 250 and sends again; returns the counts."""
    server.close()
    sessions.closing = True
    in_progress = sessions.in_progress()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + drain_seconds
    # aiosmtpd says nothing when a transaction ends: looked at every 50 ms, bounded.
    while sessions.in_progress() and loop.time() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    cut_off = sessions.in_progress()
    closed = len(sessions.open)
    for session in list(sessions.open):
        if session.transport is not None:
            session.transport.close()
    await server.wait_closed()
    counts = {
        "smtp_mail_in_progress": in_progress,
        "smtp_mail_cut_off": cut_off,
        "smtp_sessions_closed": closed,
    }
    log.info("inbound_smtp_stopped", **counts)
    return counts


@asynccontextmanager
async def smtp_listener(
    handler: IntakeHandler,
    *,
    host: str,
    port: int,
    max_bytes: int,
    stop: asyncio.Event | None = None,
    drain_seconds: float = 5.0,
    notes: dict[str, Any] | None = None,
) -> AsyncIterator[asyncio.Server | None]:
    """Serves SMTP on ``host:port`` until ``stop`` is set or the block ends, whichever
    comes first (None when the port is taken); then stops as :func:`_stop_serving` says,
    its counts put in ``notes`` (the piece's shutdown line)."""
    loop = asyncio.get_running_loop()
    sessions = Sessions()

    def protocol() -> Any:
        return IntakeSMTP(
            handler,
            sessions=sessions,
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
    stopped: list[asyncio.Task[dict[str, int]]] = []

    def stop_serving(_: object = None) -> asyncio.Task[dict[str, int]]:
        if not stopped:
            stopped.append(asyncio.ensure_future(_stop_serving(server, sessions, drain_seconds)))
        return stopped[0]

    watcher = asyncio.ensure_future(stop.wait()) if stop is not None else None
    if watcher is not None:
        watcher.add_done_callback(lambda task: None if task.cancelled() else stop_serving())
    try:
        yield server
    finally:
        if watcher is not None:
            watcher.cancel()
        counts = await stop_serving()
        if notes is not None:
            notes.update(counts)
