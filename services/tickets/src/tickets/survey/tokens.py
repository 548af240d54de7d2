"""The survey link's token: the survey's id and its expiry, signed (HMAC-SHA256) with a key
only tickets holds. Nothing is stored: a token that verifies names its survey, and the
survey's ``answered_at`` makes the link one-time. Pure."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from datetime import UTC, datetime


def _mac(key: bytes, message: str) -> str:
    digest = hmac.new(key, message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def link_key(secret: str) -> bytes:
    """The signing key, derived from a service secret (never the secret itself)."""
    return hashlib.sha256(b"careplane-survey-link\0" + secret.encode()).digest()


def sign(key: bytes, survey_id: uuid.UUID, expires_at: datetime) -> str:
    message = f"{survey_id.hex}.{int(expires_at.timestamp())}"
    return f"{message}.{_mac(key, message)}"


def verify(key: bytes, token: str, *, now: datetime | None = None) -> tuple[uuid.UUID, bool]:
    """The survey a token names and whether it is still valid (False: expired). A token
    that is malformed or not signed with ``key`` raises ``ValueError``."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("malformed token")
    raw_id, raw_expiry, mac = parts
    # Bytes: a str with a character beyond ASCII (any path may carry one) is refused by
    # compare_digest with a TypeError, not compared.
    if not hmac.compare_digest(_mac(key, f"{raw_id}.{raw_expiry}").encode(), mac.encode()):
        raise ValueError("bad signature")
    survey_id = uuid.UUID(hex=raw_id)
    expires_at = datetime.fromtimestamp(int(raw_expiry), UTC)
    return survey_id, (now or datetime.now(UTC)) < expires_at
