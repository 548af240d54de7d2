"""Sending composed mail over SMTP (aiosmtplib)."""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib

from notify.channels.base import Outcome
from notify.config import NotifySettings


class MailSender:
    def __init__(self, settings: NotifySettings) -> None:
        self.settings = settings

    async def send(self, message: EmailMessage) -> Outcome:
        s = self.settings
        try:
            refused, reply = await aiosmtplib.send(
                message,
                hostname=s.smtp_host,
                port=s.smtp_port,
                username=s.smtp_username,
                password=s.smtp_password,
                start_tls=s.smtp_start_tls,
                use_tls=s.smtp_use_tls,
                timeout=s.smtp_timeout_seconds,
            )
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
