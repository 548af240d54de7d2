"""Password hashing (argon2id) and API key secrets (random, stored as SHA-256)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane) rather than the
# library's 64 MiB default: every concurrent sign-in holds that much memory while it runs.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


@cache
def _dummy_hash() -> str:
    """Verified when the account does not exist, so both paths take the same time."""
    return _hasher.hash("no-such-account")


CLIENT_ID_PREFIX = "cpk_"
SECRET_PREFIX = "cps_"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        verified = _hasher.verify(password_hash or _dummy_hash(), password)
        return verified and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(password_hash: str | None, password: str) -> bool:
    """argon2 is deliberately slow: keep it off the event loop."""
    return await asyncio.to_thread(_verify, password_hash, password)


def new_client_id() -> str:
    return CLIENT_ID_PREFIX + secrets.token_hex(8)


def new_client_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(stored_hash: str, secret: str) -> bool:
    return hmac.compare_digest(stored_hash, hash_secret(secret))
