"""The Ed25519 key that signs access tokens, and the JWKS that publishes its public half."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts.config import ContractsSettings


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


def _load_pem(pem: bytes) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the token signing key must be an Ed25519 private key")
    return key


def load_signing_key(settings: ContractsSettings) -> SigningKey:
    """From configuration; in dev, generated into ``jwt_private_key_file`` on first start."""
    if settings.jwt_private_key:
        return SigningKey.from_private_key(_load_pem(settings.jwt_private_key.encode()))
    path: Path = settings.jwt_private_key_file
    if path.exists():
        return SigningKey.from_private_key(_load_pem(path.read_bytes()))
    if not settings.is_dev:
        raise RuntimeError("no token signing key configured (CONTRACTS_JWT_PRIVATE_KEY)")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_bytes(pem)
    temporary.chmod(0o600)
    try:
        # Two processes starting at once: the first link wins, both use the winner's key.
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink(missing_ok=True)
    return SigningKey.from_private_key(_load_pem(path.read_bytes()))


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
