"""Secrets at rest: webhook endpoints' signing secrets and chat channels' webhook URLs.

Each is stored sealed with Fernet (AES-128-CBC with HMAC-SHA256) as ``fernet:<token>``. The
keys come from ``NOTIFY_ENCRYPTION_KEYS``, newest first: new values are sealed with the
first key, stored values open with any of them. :func:`reseal_stored_secrets` rewrites every
row that is not sealed with the first key yet (older keys, or plaintext from before
encryption), so an old key can be dropped once it has run: at every start of a process that
runs the workers, and on demand with ``python -m notify.rotate_keys``.

A value without the prefix is plaintext written before encryption existed: it is read as it
is until it is resealed.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import structlog
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from careplane_shared.settings import DEV_SECRET_PREFIX
from notify.models import ChatChannel, WebhookEndpoint

log = structlog.get_logger(__name__)

SEALED_PREFIX = "fernet:"


class SecretUnreadable(ValueError):
    """A stored value sealed with a key that is no longer configured (or corrupted)."""


def fernet_key(value: str) -> bytes:
    """A configured key as Fernet wants it. A ``dev-insecure-…`` placeholder (accepted only
    by the dev and test profiles) is turned into a key by SHA-256, so dev needs no setup."""
    value = value.strip()
    if value.startswith(DEV_SECRET_PREFIX):
        return base64.urlsafe_b64encode(hashlib.sha256(value.encode()).digest())
    key = value.encode()
    Fernet(key)  # raises ValueError unless it is 32 url-safe base64-encoded bytes
    return key


def is_sealed(value: str) -> bool:
    return value.startswith(SEALED_PREFIX)


@dataclass(frozen=True, slots=True)
class SecretBox:
    """Seals with the first key, opens with any."""

    primary: Fernet
    all_keys: MultiFernet

    def seal(self, plaintext: str) -> str:
        return SEALED_PREFIX + self.primary.encrypt(plaintext.encode()).decode()

    def open(self, stored: str) -> str:
        if not is_sealed(stored):
            return stored  # plaintext from before encryption, until it is resealed
        try:
            return self.all_keys.decrypt(stored[len(SEALED_PREFIX) :].encode()).decode()
        except InvalidToken as exc:
            raise SecretUnreadable(
                "A stored secret was sealed with a key that is not configured."
            ) from exc

    def open_optional(self, stored: str | None) -> str | None:
        return None if stored is None else self.open(stored)

    def is_current(self, stored: str) -> bool:
        """Sealed with the first key already."""
        if not is_sealed(stored):
            return False
        try:
            self.primary.decrypt(stored[len(SEALED_PREFIX) :].encode())
        except InvalidToken:
            return False
        return True

    def reseal(self, stored: str) -> str:
        """The same secret sealed with the first key (plaintext is sealed)."""
        return self.seal(self.open(stored))


@lru_cache(maxsize=8)
def _box(keys: tuple[str, ...]) -> SecretBox:
    fernets = [Fernet(fernet_key(k)) for k in keys]
    return SecretBox(primary=fernets[0], all_keys=MultiFernet(fernets))


def secret_box(keys: Sequence[str]) -> SecretBox:
    if not keys:
        raise ValueError("at least one encryption key is needed")
    return _box(tuple(keys))


@dataclass(frozen=True, slots=True)
class ResealResult:
    webhook_endpoints: int
    chat_channels: int
    unreadable: int


_SEALED_COLUMNS: tuple[tuple[type[Any], tuple[str, ...]], ...] = (
    (WebhookEndpoint, ("secret", "previous_secret")),
    (ChatChannel, ("webhook_url",)),
)


async def _unreadable(sessionmaker: async_sessionmaker[AsyncSession], box: SecretBox) -> int:
    """How many stored values no configured key opens (each logged)."""
    count = 0
    async with sessionmaker() as session:
        for model, columns in _SEALED_COLUMNS:
            table = model.__table__
            rows = await session.stream(select(table.c.id, *(table.c[c] for c in columns)))
            async for row in rows:
                for value in row[1:]:
                    if value is None:
                        continue
                    try:
                        box.open(value)
                    except SecretUnreadable:
                        count += 1
                        log.error("stored_secret_unreadable", table=table.name, id=str(row.id))
    return count


async def reseal_stored_secrets(
    sessionmaker: async_sessionmaker[AsyncSession], box: SecretBox, *, batch_size: int = 200
) -> ResealResult:
    """Rewrites every stored secret not sealed with the first key yet: in batches by id,
    one short transaction each, the batch's rows locked (in id order, so two processes doing
    this at once wait for each other instead of deadlocking; the second finds nothing left).
    Nothing else of a row changes (not even its ``updated_at``).

    If any stored value opens with none of the keys, nothing is written at all: the keys
    are wrong or incomplete, and sealing plaintext rows with them would only spread that."""
    unreadable = await _unreadable(sessionmaker, box)
    if unreadable:
        return ResealResult(webhook_endpoints=0, chat_channels=0, unreadable=unreadable)
    counts: dict[str, int] = {}
    for model, columns in _SEALED_COLUMNS:
        table = model.__table__
        changed = 0
        last_id = None
        while True:
            query = select(table.c.id, *(table.c[c] for c in columns)).order_by(table.c.id)
            if last_id is not None:
                query = query.where(table.c.id > last_id)
            async with sessionmaker() as session, session.begin():
                rows = (await session.execute(query.limit(batch_size).with_for_update())).all()
                for row in rows:
                    values = dict(zip(columns, row[1:], strict=True))
                    try:
                        updates: dict[str, Any] = {
                            column: box.reseal(value)
                            for column, value in values.items()
                            if value is not None and not box.is_current(value)
                        }
                    except SecretUnreadable:
                        # Written since the check by a process with other keys: left alone.
                        log.error("stored_secret_unreadable", table=table.name, id=str(row.id))
                        continue
                    if updates:
                        if "updated_at" in table.c:
                            updates["updated_at"] = table.c.updated_at
                        await session.execute(
                            update(table).where(table.c.id == row.id).values(**updates)
                        )
                        changed += 1
            if len(rows) < batch_size:
                break
            last_id = rows[-1].id
        counts[table.name] = changed
    return ResealResult(
        webhook_endpoints=counts["webhook_endpoints"],
        chat_channels=counts["chat_channels"],
        unreadable=0,
    )


async def reseal_in_background(
    sessionmaker: async_sessionmaker[AsyncSession], box: SecretBox, stop: Any
) -> None:
    """Once at start (a background worker): a failure is logged, the next start retries."""
    try:
        result = await reseal_stored_secrets(sessionmaker, box)
    except Exception:
        log.exception("reseal_stored_secrets_failed")
        return
    if result.webhook_endpoints or result.chat_channels or result.unreadable:
        log.info(
            "stored_secrets_resealed",
            webhook_endpoints=result.webhook_endpoints,
            chat_channels=result.chat_channels,
            unreadable=result.unreadable,
        )
