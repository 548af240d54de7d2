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
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts.config import ContractsSettings
from contracts.keyfiles import load_ed25519_key


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass(frozen=True, slots=True)
class SigningKey:
    private_key: Ed25519PrivateKey
    kid: str
    public_jwk: dict[str, str]

    @classmethod
    def from_private_key(cls, private_key: Ed25519PrivateKey) -> SigningKey:
        x = _b64url(private_key.public_key().public_bytes_raw())
        # RFC 7638 thumbprint: members in lexicographic order, no whitespace.
        canonical = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":"))
        kid = _b64url(hashlib.sha256(canonical.encode()).digest())
        jwk = {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "alg": "EdDSA", "use": "sig"}
        return cls(private_key, kid, jwk)

    @property
    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.public_jwk]}

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.private_key, algorithm="EdDSA", headers={"kid": self.kid})


def load_signing_key(settings: ContractsSettings) -> SigningKey:
    """From configuration; in dev, generated into ``jwt_private_key_file`` on first start."""
    return SigningKey.from_private_key(
        load_ed25519_key(
            settings.jwt_private_key,
            settings.jwt_private_key_file,
            may_generate=settings.is_dev,
            setting="CONTRACTS_JWT_PRIVATE_KEY",
        )
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
