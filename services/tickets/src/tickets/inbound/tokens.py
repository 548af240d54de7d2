"""Reply tokens and the addresses built from them (pure).

A case's reply address carries a token only Careplane can make: the HMAC of the case's id
under ``inbound_reply_secret``. A reply to it threads into that case whatever its subject or
headers say, and a guessed or altered address threads nowhere.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid
from dataclasses import dataclass

TOKEN_LENGTH = 16
_REPLY = re.compile(r"^r-(?P<number>[a-z0-9]+(?:-[a-z0-9]+)*)-(?P<token>[a-z2-7]{16})$")
_BOUNCE = re.compile(r"^b-(?P<delivery>[0-9a-f]{32})$")


def reply_token(secret: str, ticket_id: uuid.UUID) -> str:
    """HMAC-SHA256(secret, the case id's bytes), base32, 16 characters, lower case."""
    digest = hmac.new(secret.encode(), ticket_id.bytes, hashlib.sha256).digest()
    return base64.b32encode(digest).decode().lower()[:TOKEN_LENGTH]


def token_matches(secret: str, ticket_id: uuid.UUID, token: str) -> bool:
    return hmac.compare_digest(reply_token(secret, ticket_id), token.lower())


def split_address(address: str) -> tuple[str, str]:
    """``local@domain`` → (local, domain lower case); no ``@``: (address, "")."""
    local, at, domain = address.strip().rpartition("@")
    if not at:
        return address.strip(), ""
    return local, domain.lower()


def reply_address(support_address: str, number: str, token: str) -> str:
    """``support+r-cs-2026-000123-<token>@domain`` for ``support@domain``."""
    local, domain = split_address(support_address)
    return f"{local}+r-{number.lower()}-{token}@{domain}"


@dataclass(frozen=True, slots=True)
class PlusTag:
    """What the plus part of an address to one of our own addresses says."""

    base: str  # the address without its plus part, lower case
    number: str | None = None  # reply: the case number as written (lower case)
    token: str | None = None
    delivery_id: uuid.UUID | None = None  # bounce: notify's delivery


def plus_tag(address: str) -> PlusTag:
    local, domain = split_address(address.lower())
    base_local, plus, tag = local.partition("+")
    base = f"{base_local}@{domain}" if domain else base_local
    if not plus:
        return PlusTag(base=base)
    if match := _REPLY.match(tag):
        return PlusTag(base=base, number=match["number"], token=match["token"])
    if match := _BOUNCE.match(tag):
        return PlusTag(base=base, delivery_id=uuid.UUID(hex=match["delivery"]))
    return PlusTag(base=base)


@dataclass(frozen=True, slots=True)
class ReplyAddresses:
    """Makes each case's reply address (used in the events notify mails from)."""

    support_address: str
    secret: str

    def for_case(self, ticket_id: uuid.UUID, number: str) -> str:
        return reply_address(self.support_address, number, reply_token(self.secret, ticket_id))
