"""License key format and signature (docs/api.md, "License keys"): pure, no I/O.

``key/{base64url(payload)}.{base64url(signature)}``: the payload is UTF-8 JSON with
license_id, customer_id, product_id, major_version, issued_at, expires_at; the signature
is Ed25519 over the bytes ``key/{base64url(payload)}``; base64url without padding. A
customer's installation verifies a key offline with the public key alone.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PREFIX = "key/"


def b64url_encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    if not text or any(c not in _B64URL for c in text):
        raise ValueError("not base64url")
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    # Only the canonical spelling: otherwise the spare low bits of the last character
    # would give one license several valid key strings.
    if b64url_encode(raw) != text:
        raise ValueError("not canonical base64url")
    return raw


_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@dataclass(frozen=True, slots=True)
class LicensePayload:
    license_id: uuid.UUID
    customer_id: uuid.UUID
    product_id: uuid.UUID
    major_version: int
    issued_at: datetime
    expires_at: datetime | None

    def to_json(self) -> bytes:
        return json.dumps(
            {
                "license_id": str(self.license_id),
                "customer_id": str(self.customer_id),
                "product_id": str(self.product_id),
                "major_version": self.major_version,
                "issued_at": self.issued_at.isoformat(),
                "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            },
            separators=(",", ":"),
            sort_keys=True,
        ).encode()


def sign_key(payload: LicensePayload, private_key: Ed25519PrivateKey) -> str:
    signed_part = PREFIX + b64url_encode(payload.to_json())
    signature = private_key.sign(signed_part.encode("ascii"))
    return f"{signed_part}.{b64url_encode(signature)}"


class KeyFormatError(ValueError):
    pass


def verify_key(key: str, public_key: Ed25519PublicKey) -> LicensePayload:
    """The payload of a well-formed key with a good signature.

    Raises KeyFormatError for anything that is not a key, InvalidSignature for a key we
    did not sign (or one that was altered)."""
    if not key.startswith(PREFIX) or key.count(".") != 1:
        raise KeyFormatError("a license key looks like key/<payload>.<signature>")
    signed_part, _, signature_text = key.partition(".")
    try:
        signature = b64url_decode(signature_text)
        raw_payload = b64url_decode(signed_part[len(PREFIX) :])
    except (ValueError, binascii.Error) as exc:
        raise KeyFormatError("the key is not valid base64url") from exc
    public_key.verify(signature, signed_part.encode("ascii"))
    try:
        data = json.loads(raw_payload)
        if not isinstance(data, dict):
            raise KeyFormatError("the key's payload is not a license")
        expires = data.get("expires_at")
        return LicensePayload(
            license_id=uuid.UUID(data["license_id"]),
            customer_id=uuid.UUID(data["customer_id"]),
            product_id=uuid.UUID(data["product_id"]),
            major_version=int(data["major_version"]),
            issued_at=datetime.fromisoformat(data["issued_at"]),
            expires_at=datetime.fromisoformat(expires) if expires else None,
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise KeyFormatError("the key's payload is not a license") from exc


__all__ = [
    "InvalidSignature",
    "KeyFormatError",
    "LicensePayload",
    "sign_key",
    "verify_key",
]
