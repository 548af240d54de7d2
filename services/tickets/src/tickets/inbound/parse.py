"""A raw RFC 5322 message → what the intake needs (pure).

The standard ``email`` package with ``policy.default`` parses; every header and body read
is guarded, because mail from the internet is often malformed: a header the policy cannot
parse falls back to its raw text, an unknown charset to UTF-8 with replacement, undecodable
transfer encodings to the raw payload. What went wrong is kept in ``flags`` (stored with the
mail and shown to staff); nothing here raises for a bad message."""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from tickets.inbound.html_text import html_to_text
from tickets.inbound.quotes import trim_quoted

MAX_DEPTH = 20
MAX_PARTS = 200
MAX_ATTACHMENTS = 20
_MSGID = re.compile(r"<([^<>\s]{1,500})>")


@dataclass(frozen=True, slots=True)
class MailAttachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What a delivery status notification (RFC 3464) says about the mail it reports on."""

    recipient: str | None
    status: str | None
    action: str | None
    diagnostic: str | None
    original_message_id: str | None
    original_recipients: tuple[str, ...] = ()


@dataclass(slots=True)
class ParsedMail:
    message_id: str | None = None
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    subject: str = ""
    from_address: str | None = None
    from_name: str | None = None
    to_addresses: list[str] = field(default_factory=list)
    delivered_to: list[str] = field(default_factory=list)
    date: datetime | None = None
    text: str = ""  # the whole text of the mail
    reply_text: str = ""  # the text without quoted history
    attachments: list[MailAttachment] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    headers: dict[str, str] = field(default_factory=dict)  # loop-relevant, lower-case names
    authentication_results: list[str] = field(default_factory=list)
    report: DeliveryReport | None = None
    content_language: str | None = None


_LOOP_HEADERS = (
    "auto-submitted",
    "precedence",
    "x-auto-response-suppress",
    "list-id",
    "list-unsubscribe",
    "return-path",
    "x-autoreply",
    "x-autorespond",
)


def clean(value: str) -> str:
    """Text PostgreSQL can store: no NUL characters, no lone surrogates (undecodable bytes
    the parser kept as surrogate escapes)."""
    return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def _header(message: Message, name: str, flags: set[str]) -> str | None:
    """The header's text; when the policy cannot parse it, its raw value (flagged)."""
    try:
        value = message.get(name)
    except Exception:
        flags.add("bad_header")
        raw = next((v for k, v in message.raw_items() if k.lower() == name.lower()), None)
        return clean(str(raw)) if raw is not None else None
    if value is None:
        return None
    try:
        return clean(str(value))
    except Exception:
        flags.add("bad_header")
        return None


def _all_headers(message: Message, name: str, flags: set[str]) -> list[str]:
    values = []
    for key, raw in message.raw_items():
        if key.lower() == name:
            try:
                values.append(clean(str(message.policy.header_fetch_parse(key, raw))))
            except Exception:
                flags.add("bad_header")
                values.append(clean(str(raw)))
    return values


def _addresses(values: list[str]) -> list[str]:
    found = []
    for _name, address in getaddresses(values):
        address = address.strip().lower()
        if "@" in address and len(address) <= 320 and address not in found:
            found.append(address)
    return found


def message_ids(value: str | None) -> list[str]:
    return _MSGID.findall(value or "")[:100]


def _decoded(part: Message, flags: set[str]) -> bytes:
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        flags.add("bad_transfer_encoding")
        payload = None
    if payload is None:
        raw = part.get_payload()
        return raw.encode("utf-8", "replace") if isinstance(raw, str) else b""
    return payload if isinstance(payload, bytes) else bytes(payload)


def _text(part: Message, flags: set[str]) -> str:
    data = _decoded(part, flags)
    charset = "utf-8"
    try:
        charset = part.get_content_charset() or "utf-8"
    except Exception:
        flags.add("bad_charset")
    try:
        return data.decode(charset)
    except LookupError:
        flags.add("unknown_charset")
    except UnicodeDecodeError:
        flags.add("bad_charset")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _filename(part: Message, flags: set[str]) -> str | None:
    try:
        name = part.get_filename()
    except Exception:
        flags.add("bad_header")
        return "attachment"
    if name is None:
        return None
    name = re.sub(r"[/\\\x00-\x1f]", "_", clean(str(name))).strip()[:255]
    return name or "attachment"


def _walk(message: Message, flags: set[str], *, leaves_only: bool = True) -> list[Message]:
    """The parts (the leaves only, or all), depth first, bounded in depth and count."""
    leaves: list[Message] = []
    stack: list[tuple[Message, int]] = [(message, 0)]
    seen = 0
    while stack:
        part, depth = stack.pop()
        seen += 1
        if seen > MAX_PARTS:
            flags.add("too_many_parts")
            break
        if part.is_multipart():
            if not leaves_only:
                leaves.append(part)
            if depth >= MAX_DEPTH:
                flags.add("nested_too_deep")
                continue
            children = part.get_payload()
            if isinstance(children, list):
                stack.extend(
                    (child, depth + 1) for child in reversed(children) if isinstance(child, Message)
                )
            continue
        leaves.append(part)
    return leaves


def _report(message: Message, flags: set[str]) -> DeliveryReport | None:
    if message.get_content_type() != "multipart/report":
        return None
    recipient = status = action = diagnostic = original = None
    originals: list[str] = []
    for part in _walk(message, flags, leaves_only=False):
        content_type = part.get_content_type()
        if content_type == "message/delivery-status":
            blocks = part.get_payload()
            for block in blocks if isinstance(blocks, list) else []:
                if not isinstance(block, Message):
                    continue
                for key, value in block.items():
                    key, value = key.lower(), clean(str(value)).strip()
                    if key == "final-recipient" and recipient is None:
                        recipient = value.partition(";")[2].strip().lower() or value.lower()
                    elif key == "original-recipient":
                        originals.append(value.partition(";")[2].strip().lower())
                    elif key == "status" and status is None:
                        status = value[:20]
                    elif key == "action" and action is None:
                        action = value.lower()[:20]
                    elif key == "diagnostic-code" and diagnostic is None:
                        diagnostic = value[:1000]
        elif content_type in ("text/rfc822-headers", "message/rfc822") and original is None:
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                original = _header(inner[0], "Message-ID", flags)
            else:
                headers = email.message_from_string(
                    _text(part, flags), policy=email.policy.compat32
                )
                original = headers.get("Message-ID")
    ids = message_ids(original)
    return DeliveryReport(recipient, status, action, diagnostic, ids[0] if ids else None,
                          tuple(originals))  # fmt: skip


def parse(raw: bytes, *, attachment_limit: int) -> ParsedMail:
    mail = ParsedMail()
    flags = mail.flags
    try:
        message: Message = email.message_from_bytes(raw, policy=email.policy.default)
    except Exception:
        flags.add("unparseable")
        mail.text = mail.reply_text = raw[:100_000].decode("utf-8", "replace")
        return mail
    if message.defects:
        flags.add("defects")
    ids = message_ids(_header(message, "Message-ID", flags))
    mail.message_id = ids[0] if ids else None
    mail.in_reply_to = message_ids(_header(message, "In-Reply-To", flags))
    mail.references = message_ids(" ".join(_all_headers(message, "references", flags)))
    mail.subject = re.sub(r"\s+", " ", _header(message, "Subject", flags) or "").strip()[:1000]
    senders = getaddresses([_header(message, "From", flags) or ""])
    if senders and "@" in senders[0][1]:
        mail.from_name = senders[0][0] or None
        mail.from_address = senders[0][1].strip().lower()[:320]
    else:
        flags.add("no_sender")
    recipients = _all_headers(message, "to", flags) + _all_headers(message, "cc", flags)
    mail.to_addresses = _addresses(recipients)
    mail.delivered_to = _addresses(
        _all_headers(message, "delivered-to", flags) + _all_headers(message, "x-original-to", flags)
    )
    try:
        date = _header(message, "Date", flags)
        mail.date = parsedate_to_datetime(date) if date else None
    except (TypeError, ValueError):
        flags.add("bad_date")
    for name in _LOOP_HEADERS:
        value = _header(message, name, flags)
        if value is not None:
            mail.headers[name] = value.strip()[:500]
    mail.authentication_results = _all_headers(message, "authentication-results", flags)[:20]
    mail.content_language = (_header(message, "Content-Language", flags) or "").strip()[:20] or None
    mail.report = _report(message, flags)
    _bodies(mail, message, attachment_limit)
    return mail


def _bodies(mail: ParsedMail, message: Message, attachment_limit: int) -> None:
    flags = mail.flags
    plain: list[str] = []
    html: list[str] = []
    for part in _walk(message, flags):
        content_type = part.get_content_type()
        disposition = part.get_content_disposition()
        name = _filename(part, flags)
        if disposition != "attachment" and name is None and content_type in (
            "text/plain", "text/html"
        ):  # fmt: skip
            (plain if content_type == "text/plain" else html).append(_text(part, flags))
            continue
        if mail.report is not None and content_type in (
            "message/delivery-status", "text/rfc822-headers"
        ):  # fmt: skip
            continue
        data = _decoded(part, flags)
        if not data:
            continue
        if len(data) > attachment_limit:
            flags.add("attachment_too_large")
            continue
        if len(mail.attachments) >= MAX_ATTACHMENTS:
            flags.add("too_many_attachments")
            continue
        mail.attachments.append(MailAttachment(name or "attachment", content_type, data))
    if plain:
        text = "\n\n".join(p.strip() for p in plain)
    elif html:
        flags.add("html_only")
        text = "\n\n".join(html_to_text(h) for h in html)
    else:
        text = ""
    text = clean(text).replace("\r\n", "\n").strip()
    if not text:
        flags.add("no_body")
    mail.text = text[:100_000]
    mail.reply_text = trim_quoted(mail.text) if mail.text else ""
