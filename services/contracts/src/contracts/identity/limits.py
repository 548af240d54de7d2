"""Sign-in abuse limits, shared by every replica through contracts' database.

Failures are counted per account (the email or client id asked for, whether or not it
exists, so the limits say nothing about which accounts exist) and per caller address.
After too many failures within the window a key is locked for a while; each further
lockout doubles it, up to a cap, so a real user is never locked out for longer than the
cap after an attack stops. A successful sign-in clears its account's count. The checks
run before any password is hashed: a locked caller costs no argon2 work.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.errors import CareplaneError
from contracts.config import ContractsSettings
from contracts.models import LoginAttempt

# Stale rows removed per recorded failure (keeps the table small without a job).
_SWEEP = 100


class TooManyAttempts(CareplaneError):
    status_code = 429
    code = "TOO_MANY_ATTEMPTS"
    message = "Too many failed sign-ins. Try again later."


@dataclass(frozen=True, slots=True)
class Limit:
    key: str
    max_failures: int


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def limits_for(settings: ContractsSettings, *, account: str | None, address: str) -> list[Limit]:
    """The keys one attempt counts against (stored as digests: no emails in this table).
    ``account=None`` counts the address only: API key secrets are 256 random bits that no
    one guesses, and locking a client id would let anyone stop a service's sign-in."""
    limits = [Limit(f"address:{_digest(address)}", settings.login_address_max_failures)]
    if account is not None:
        limits.append(
            Limit(
                f"account:{_digest(account.strip().lower())}",
                settings.login_account_max_failures,
            )
        )
    return limits


async def ensure_not_locked(
    session: AsyncSession, limits: list[Limit], *, now: datetime | None = None
) -> None:
    now = now or datetime.now(UTC)
    until = await session.scalar(
        select(LoginAttempt.locked_until)
        .where(
            LoginAttempt.key.in_([limit.key for limit in limits]),
            LoginAttempt.locked_until > now,
        )
        .order_by(LoginAttempt.locked_until.desc())
        .limit(1)
    )
    if until is not None:
        seconds = max(1, math.ceil((until - now).total_seconds()))
        raise TooManyAttempts(
            headers={"Retry-After": str(seconds)}, details={"retry_after": seconds}
        )


async def record_failure(
    session: AsyncSession,
    settings: ContractsSettings,
    limits: list[Limit],
    *,
    now: datetime | None = None,
) -> None:
    """Counts one failure against each key; the row lock serializes replicas."""
    now = now or datetime.now(UTC)
    window = timedelta(seconds=settings.login_window_seconds)
    for limit in sorted(limits, key=lambda lim: lim.key):  # one lock order: no deadlocks
        await session.execute(
            insert(LoginAttempt)
            .values(key=limit.key, failures=0, window_started_at=now, lockouts=0, updated_at=now)
            .on_conflict_do_nothing(index_elements=[LoginAttempt.key])
        )
        row = await session.scalar(
            select(LoginAttempt)
            .where(LoginAttempt.key == limit.key)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        assert row is not None
        if row.window_started_at <= now - window:
            # A quiet window: counting starts again, and an old lockout is forgiven.
            if row.locked_until is None or row.locked_until <= now - window:
                row.lockouts = 0
            row.failures = 0
            row.window_started_at = now
        row.failures += 1
        if row.failures >= limit.max_failures:
            seconds = min(
                settings.login_lockout_base_seconds * 2 ** min(row.lockouts, 30),
                settings.login_lockout_max_seconds,
            )
            row.locked_until = now + timedelta(seconds=seconds)
            row.lockouts += 1
            row.failures = 0
            row.window_started_at = now
        row.updated_at = now
    await session.flush()
    cutoff = now - window - timedelta(seconds=settings.login_lockout_max_seconds)
    stale = (
        select(LoginAttempt.key)
        .where(LoginAttempt.updated_at < cutoff)
        .limit(_SWEEP)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    await session.execute(delete(LoginAttempt).where(LoginAttempt.key.in_(stale)))


async def record_success(session: AsyncSession, limits: list[Limit]) -> None:
    """The account's count starts again (its address keeps counting)."""
    accounts = [limit.key for limit in limits if limit.key.startswith("account:")]
    await session.execute(delete(LoginAttempt).where(LoginAttempt.key.in_(accounts)))
