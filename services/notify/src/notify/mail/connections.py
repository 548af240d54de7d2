"""SMTP connections kept open between messages.

Opening a connection per message cost more than sending it: TCP, the greeting, EHLO (and
STARTTLS and AUTH where configured), QUIT. A worker now sends over at most
``smtp_max_connections`` connections, one message at a time on each, and keeps a
connection open for the next message for up to ``smtp_idle_seconds`` (then it is closed with
QUIT). The name we give in EHLO is ``smtp_local_hostname``, or this machine's FQDN looked up
once (aiosmtplib would otherwise call ``socket.getfqdn()`` for every connection).

Each message keeps its own outcome: a refused recipient or a 4xx/5xx answer is that
message's (aiosmtplib resets the envelope, and the connection serves the next one); any other
failure, a cancellation included (a deadline), closes the connection, since its state is
unknown. A kept connection the server closed while it was idle fails before any of the next
message is sent; that message is then sent once more on a new connection.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Sequence

from aiosmtplib import (
    SMTP,
    SMTPRecipientsRefused,
    SMTPResponse,
    SMTPResponseException,
    SMTPServerDisconnected,
)

from notify.config import NotifySettings

# How long closing an idle connection politely (QUIT) may take before it is just closed.
QUIT_SECONDS = 5.0


class SmtpConnections:
    """A worker's SMTP connections: at most ``smtp_max_connections``, reused while fresh."""

    def __init__(self, settings: NotifySettings) -> None:
        self.settings = settings
        self.idle_seconds = settings.smtp_idle_seconds
        self._slots = asyncio.Semaphore(settings.smtp_max_connections)
        # Idle connections with the moment each became idle, oldest first.
        self._idle: list[tuple[SMTP, float]] = []
        self._local_hostname = settings.smtp_local_hostname
        self._sweeper: asyncio.TimerHandle | None = None
        self._closing: set[asyncio.Task[None]] = set()

    async def sendmail(
        self, sender: str, recipients: Sequence[str], message: bytes
    ) -> tuple[dict[str, SMTPResponse], str]:
        """One mail transaction (aiosmtplib's ``sendmail``: its answer and its errors) on a
        kept connection, or a new one."""
        async with self._slots:
            kept = self._take_idle()
            if kept is not None:
                try:
                    return await self._send_on(kept, sender, recipients, message)
                except SMTPServerDisconnected:
                    pass  # closed by the server while idle: once more, on a new connection
            return await self._send_on(await self._connect(), sender, recipients, message)

    async def aclose(self) -> None:
        """Closes every idle connection (QUIT) and waits for those being closed."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        idle, self._idle = self._idle, []
        for smtp, _ in idle:
            self._quit(smtp)
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    def __len__(self) -> int:
        """How many connections are open and idle."""
        return len(self._idle)

    async def _send_on(
        self, smtp: SMTP, sender: str, recipients: Sequence[str], message: bytes
    ) -> tuple[dict[str, SMTPResponse], str]:
        try:
            result = await smtp.sendmail(sender, recipients, message)
        except (SMTPResponseException, SMTPRecipientsRefused):
            self._keep(smtp)  # the envelope was reset: the connection serves the next mail
            raise
        except BaseException:
            smtp.close()
            raise
        self._keep(smtp)
        return result

    async def _connect(self) -> SMTP:
        s = self.settings
        if self._local_hostname is None:
            self._local_hostname = await asyncio.to_thread(socket.getfqdn)
        smtp = SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_username,
            password=s.smtp_password,
            start_tls=s.smtp_start_tls,
            use_tls=s.smtp_use_tls,
            timeout=s.smtp_timeout_seconds,
            local_hostname=self._local_hostname,
        )
        await smtp.connect()
        return smtp

    def _take_idle(self) -> SMTP | None:
        """The most recently used idle connection still open and fresh (others are closed)."""
        cutoff = time.monotonic() - self.idle_seconds
        while self._idle:
            smtp, since = self._idle.pop()
            if smtp.is_connected and since > cutoff:
                return smtp
            self._quit(smtp)
        return None

    def _keep(self, smtp: SMTP) -> None:
        if not smtp.is_connected:
            return
        self._idle.append((smtp, time.monotonic()))
        if self._sweeper is None:
            self._sweeper = asyncio.get_running_loop().call_later(self.idle_seconds, self._sweep)

    def _sweep(self) -> None:
        """Closes the connections idle for ``idle_seconds``; comes back for the rest."""
        self._sweeper = None
        now = time.monotonic()
        while self._idle and now - self._idle[0][1] >= self.idle_seconds:
            smtp, _ = self._idle.pop(0)
            self._quit(smtp)
        if self._idle:
            wait = self._idle[0][1] + self.idle_seconds - now
            self._sweeper = asyncio.get_running_loop().call_later(wait, self._sweep)

    def _quit(self, smtp: SMTP) -> None:
        if not smtp.is_connected:
            smtp.close()
            return
        task = asyncio.get_running_loop().create_task(_quit_politely(smtp))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)


async def _quit_politely(smtp: SMTP) -> None:
    try:
        async with asyncio.timeout(QUIT_SECONDS):
            await smtp.quit()
    except Exception:  # noqa: S110 - closed below either way
        pass
    finally:
        smtp.close()
