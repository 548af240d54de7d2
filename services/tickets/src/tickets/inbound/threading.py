"""Which case a mail answers (pure): the rules in their order of trust.

1. A reply token in the address the mail was sent to (the case's reply address): proven
   by its HMAC, checked by the intake against the case the number names.
2. A case's root Message-ID (``<case.<number>@<one of our domains>>``) in In-Reply-To,
   then in References (newest first).
3. The case number in brackets in the subject: ``[CS-2026-000123]``.

Only 1 proves the mail answers our mail; 2 and 3 can be written by anyone, which is why the
intake accepts a reply only from a participant of the case or a contact of its customer.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from tickets.inbound.parse import ParsedMail
from tickets.inbound.tokens import plus_tag

_NUMBER = r"[A-Za-z][A-Za-z0-9]{0,9}-[0-9]{4,}(?:-[0-9]+)?"
_SUBJECT = re.compile(rf"\[\s*({_NUMBER})\s*\]")
_ROOT = re.compile(rf"^case\.({_NUMBER})@(.+)$", re.IGNORECASE)


class Method(StrEnum):
    TOKEN = "token"
    REFERENCES = "references"
    SUBJECT = "subject"


@dataclass(frozen=True, slots=True)
class CaseReference:
    method: Method
    number: str  # upper case, as tickets writes numbers
    token: str | None = None


def by_token(addresses: Collection[str], *, support_address: str) -> CaseReference | None:
    support = plus_tag(support_address).base
    for address in addresses:
        tag = plus_tag(address)
        if tag.base == support and tag.number and tag.token:
            return CaseReference(Method.TOKEN, tag.number.upper(), tag.token)
    return None


def by_headers(mail: ParsedMail, *, domains: Collection[str]) -> CaseReference | None:
    allowed = {domain.lower() for domain in domains}
    for message_id in [*mail.in_reply_to, *reversed(mail.references)]:
        match = _ROOT.match(message_id)
        if match and match[2].lower() in allowed:
            return CaseReference(Method.REFERENCES, match[1].upper())
    return None


def by_subject(subject: str) -> CaseReference | None:
    match = _SUBJECT.search(subject)
    return CaseReference(Method.SUBJECT, match[1].upper()) if match else None


def references(
    mail: ParsedMail,
    *,
    recipients: Collection[str],
    support_address: str,
    domains: Collection[str],
) -> list[CaseReference]:
    """Every way this mail names a case, most trusted first (the intake takes the first
    that names an existing case; a token that does not verify is skipped)."""
    found = [
        by_token([*recipients, *mail.delivered_to, *mail.to_addresses],
                 support_address=support_address),
        by_headers(mail, domains=domains),
        by_subject(mail.subject),
    ]  # fmt: skip
    return [reference for reference in found if reference is not None]
