"""The Ed25519 key that signs access tokens, and the JWKS that publishes its public half."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from contracts.config import ContractsSettings
from contracts.keyfiles import load_ed25519_key


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def public_jwk(public_key: Ed25519PublicKey) -> dict[str, str]:
    x = _b64url(public_key.public_bytes_raw())
    # RFC 7638 thumbprint: members in lexicographic order, no whitespace.
    canonical = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":"))
    kid = _b64url(hashlib.sha256(canonical.encode()).digest())
    return {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "alg": "EdDSA", "use": "sig"}


@dataclass(frozen=True, slots=True)
class SigningKey:
    private_key: Ed25519PrivateKey
    kid: str
    public_jwk: dict[str, str]
    # Keys signed with before a rotation: still published, so tokens already issued stay
    # valid until they expire instead of failing at once.
    retired_jwks: tuple[dict[str, str], ...] = ()

    @classmethod
    def from_private_key(
        cls, private_key: Ed25519PrivateKey, retired: tuple[Ed25519PublicKey, ...] = ()
    ) -> SigningKey:
        jwk = public_jwk(private_key.public_key())
        return cls(private_key, jwk["kid"], jwk, tuple(public_jwk(k) for k in retired))

    @property
    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.public_jwk, *self.retired_jwks]}

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.private_key, algorithm="EdDSA", headers={"kid": self.kid})


def _public_key(pem: str) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("CONTRACTS_JWT_RETIRED_PUBLIC_KEYS must hold Ed25519 public keys")
    return key


def load_signing_key(settings: ContractsSettings) -> SigningKey:
    """From configuration; in dev, generated into ``jwt_private_key_file`` on first start."""
    return SigningKey.from_private_key(
        load_ed25519_key(
            settings.jwt_private_key,
            settings.jwt_private_key_file,
            may_generate=settings.is_dev,
            setting="CONTRACTS_JWT_PRIVATE_KEY",
        ),
        tuple(_public_key(pem) for pem in settings.jwt_retired_public_keys),
    )


def access_token_claims(
    settings: ContractsSettings,
    *,
    subject: str,
    role: str,
    customer_id: uuid.UUID | None,
    email: str | None,
    scopes: list[str],
) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": subject,
        "iat": now,
        "nbf": now,
        "exp": now + settings.access_token_ttl_seconds,
        "jti": uuid.uuid4().hex,
        "role": role,
    }
    if customer_id is not None:
        claims["customer_id"] = str(customer_id)
    if email:
        claims["email"] = email
    if scopes:
        claims["scope"] = " ".join(scopes)
    return claims
