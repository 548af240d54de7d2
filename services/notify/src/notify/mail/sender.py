"""Sending composed mail over SMTP (aiosmtplib), over connections kept open between
messages (:mod:`notify.mail.connections`)."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import getaddresses, parseaddr

import aiosmtplib

from notify.channels.base import Outcome
from notify.config import NotifySettings
from notify.mail.connections import SmtpConnections
from notify.mail.policy import WIRE_POLICY


def envelope(message: EmailMessage) -> tuple[str, list[str]]:
    """The envelope's sender and recipients, from the From and To headers as stored (read
    without parsing them into header objects again)."""
    headers = {name.lower(): str(value) for name, value in message.raw_items()}
    sender = parseaddr(headers.get("from", ""))[1]
    return sender, [address for _, address in getaddresses([headers.get("to", "")])]


class MailSender:
    def __init__(self, settings: NotifySettings) -> None:
        self.settings = settings
        self.connections = SmtpConnections(settings)

    async def send(self, message: EmailMessage, envelope_from: str | None = None) -> Outcome:
        """``envelope_from``: the envelope sender (MAIL FROM) when it is not the From
        address: the delivery's bounce address (:mod:`notify.mail.verp`)."""
        raw = message.as_bytes(policy=WIRE_POLICY)
        sender, recipients = envelope(message)
        sender = envelope_from or sender
        try:
            refused, reply = await self.connections.sendmail(sender, recipients, raw)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            permanent = all(r.code >= 500 for r in exc.recipients)
            detail = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients)
            return Outcome.failure(f"Recipients refused: {detail}", permanent=permanent)
        except aiosmtplib.SMTPResponseException as exc:
            return Outcome.failure(
                f"SMTP {exc.code}: {exc.message}", permanent=exc.code >= 500, status_code=exc.code
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            return Outcome.failure(f"{type(exc).__name__}: {exc}")
        if refused:
            detail = "; ".join(f"{addr}: {r.code} {r.message}" for addr, r in refused.items())
            return Outcome.failure(f"Some recipients refused: {detail}")
        return Outcome(ok=True, status_code=250, response_excerpt=reply)

    async def aclose(self) -> None:
        """Closes the connections kept open (the lifespan's end)."""
        await self.connections.aclose()
