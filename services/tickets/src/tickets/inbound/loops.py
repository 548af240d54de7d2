"""When Careplane must not answer a mail automatically, and which mails are bounces (pure).

Answering an autoresponder, a mailing list or a bounce starts a mail loop; answering our
own mail starts one with ourselves. The hourly limit of automatic answers per address
(counted by the intake) is the last guard against a loop nothing here recognises."""

from __future__ import annotations

from collections.abc import Collection

from tickets.inbound.parse import ParsedMail
from tickets.inbound.tokens import plus_tag

_DAEMONS = ("mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply", "do-not-reply")


def no_auto_answer_reason(
    mail: ParsedMail, *, mail_from: str | None, own_addresses: Collection[str]
) -> str | None:
    """Why this mail gets no automatic answer, or ``None`` when it may get one."""
    headers = mail.headers
    auto = headers.get("auto-submitted", "").split(";")[0].strip().lower()
    if auto and auto != "no":
        return "auto_submitted"
    if headers.get("precedence", "").strip().lower() in ("bulk", "list", "junk", "auto_reply"):
        return "precedence"
    if "x-auto-response-suppress" in headers:
        return "auto_response_suppressed"
    if "x-autoreply" in headers or "x-autorespond" in headers:
        return "auto_submitted"
    if "list-id" in headers or "list-unsubscribe" in headers:
        return "mailing_list"
    if mail.report is not None or mail_from == "":
        return "bounce"
    sender = mail.from_address or ""
    if not sender:
        return "no_sender"
    if sender.split("@")[0].split("+")[0] in _DAEMONS:
        return "daemon"
    own = {plus_tag(address).base for address in own_addresses}
    if plus_tag(sender).base in own:
        return "own_address"
    return None


def is_bounce(mail: ParsedMail, *, mail_from: str | None, rcpt_to: Collection[str]) -> bool:
    """A delivery status notification: a multipart/report, or mail from the null sender
    or a mailer daemon, or mail to a bounce plus-address."""
    if mail.report is not None or mail_from == "":
        return True
    if any(plus_tag(address).delivery_id is not None for address in rcpt_to):
        return True
    sender = (mail.from_address or "").split("@")[0]
    return sender in ("mailer-daemon", "postmaster")


def bounced_delivery(mail: ParsedMail, *, rcpt_to: Collection[str], bounce_base: str) -> str | None:
    """Notify's delivery id (hex) from the VERP address the bounce was sent to."""
    for address in [*rcpt_to, *mail.delivered_to, *mail.to_addresses]:
        tag = plus_tag(address)
        if tag.delivery_id is not None and tag.base == bounce_base.lower():
            return tag.delivery_id.hex
    return None
