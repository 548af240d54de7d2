"""The dev mailbox: a local SMTP server (aiosmtpd) that keeps every mail it receives as an
``.eml`` file, listed through ``GET /v1/mailbox``. For `make run` and tests only."""

from __future__ import annotations

import email
import email.policy
import re
import time
import uuid
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi import APIRouter, Response
from pydantic import BaseModel

from careplane_shared.auth import StaffPrincipal
from notify.deps import SettingsDep
from notify.mail.exceptions import MailboxDisabled, MailNotFound

_NAME = re.compile(r"^[0-9]{13}-[0-9a-f]{32}\.eml$")


class MailboxHandler:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        name = f"{int(time.time() * 1000):013d}-{uuid.uuid4().hex}.eml"
        temporary = self.folder / f".{name}.tmp"
        temporary.write_bytes(content)
        temporary.replace(self.folder / name)  # readers never see half a mail
        return "250 Message accepted for delivery"


def start_dev_mailbox(folder: Path, host: str, port: int) -> Controller:
    controller = Controller(MailboxHandler(folder), hostname=host, port=port)
    controller.start()
    return controller


class MailboxEntry(BaseModel):
    name: str
    message_id: str | None
    sender: str | None
    to: str | None
    subject: str | None
    date: datetime | None
    in_reply_to: str | None
    size: int


def _entry(path: Path) -> MailboxEntry:
    raw = path.read_bytes()
    message = email.message_from_bytes(raw, policy=email.policy.default)
    date: datetime | None
    try:
        date = parsedate_to_datetime(str(message["Date"])) if message["Date"] else None
    except (TypeError, ValueError):
        date = None

    def header(name: str) -> Any:
        value = message[name]
        return str(value) if value is not None else None

    return MailboxEntry(
        name=path.name,
        message_id=header("Message-ID"),
        sender=header("From"),
        to=header("To"),
        subject=header("Subject"),
        date=date,
        in_reply_to=header("In-Reply-To"),
        size=len(raw),
    )


def list_mailbox(folder: Path) -> list[MailboxEntry]:
    if not folder.exists():
        return []
    return [_entry(p) for p in sorted(folder.glob("*.eml"), reverse=True)]


router = APIRouter(prefix="/v1/mailbox", tags=["dev mailbox"])


def _folder(settings: SettingsDep) -> Path:
    if settings.dev_mailbox_dir is None:
        raise MailboxDisabled()
    return settings.dev_mailbox_dir


@router.get("", response_model=list[MailboxEntry], summary="Mails in the dev mailbox.")
async def mailbox(settings: SettingsDep, _: StaffPrincipal) -> list[MailboxEntry]:
    """Every mail the local SMTP server received, newest first (dev profile only)."""
    return list_mailbox(_folder(settings))


@router.get("/{name}", summary="One mail from the dev mailbox, as message/rfc822.")
async def mail(name: str, settings: SettingsDep, _: StaffPrincipal) -> Response:
    """The raw mail, headers and all."""
    path = _folder(settings) / name
    if not _NAME.match(name) or not path.exists():
        raise MailNotFound()
    return Response(path.read_bytes(), media_type="message/rfc822")
