"""Sign-in abuse limits, shared by every replica through contracts' database.

Three counts, each over a window, each stored as a digest (no emails or addresses here):

- per (account, address): the hard lock. Too many failures of one account from one
  address (an IPv6 address counts as its /64) lock that pair only, so an attacker
  elsewhere can never lock the account's owner out;
- per address: too many failures from one address, whatever the accounts, lock it;
- per account, from every address: a higher limit that stops an attack spread over many
  addresses. An address that signed in to the account successfully before (a known-good
  address) is exempt from it: its owner always gets in with the right password.

The account is the email asked for, whether or not it exists, so the limits say nothing
about which accounts exist; API keys count per address only. Every lockout grows (doubles)
with each further one, up to a cap.

Every attempt is counted *before* any password is hashed, under the rows' locks in a
transaction of its own that commits at once: parallel attempts queue on those locks and
each sees the ones before it, so no more than the limit ever reach argon2, and a refused
attempt costs no hashing. A success takes its own attempt back and clears its pair.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from careplane_shared.client_address import limit_key
from contracts.config import ContractsSettings
from contracts.identity.exceptions import TooManyAttempts
from contracts.models import LoginAttempt, LoginKnownAddress

# Stale rows removed per admitted attempt (keeps the tables small without a job).
_SWEEP = 100


@dataclass(frozen=True, slots=True)
class Limit:
    key: str
    max_failures: int


@dataclass(frozen=True, slots=True)
class Attempt:
    """One admitted sign-in attempt: the keys it was counted against."""

    limits: tuple[Limit, ...]
    account: str | None  # digest
    address: str  # digest of the address's limit key


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def account_digest(account: str) -> str:
    return _digest(account.strip().lower())


def address_digest(address: str) -> str:
    return _digest(limit_key(address))


def limits_for(
    settings: ContractsSettings,
    *,
    account: str | None,
    address: str,
    known_address: bool = False,
) -> tuple[Limit, ...]:
    """The keys one attempt counts against. ``account=None`` counts the address only: API
    key secrets are 256 random bits that no one guesses, and locking a client id would let
    anyone stop a service's sign-in. A known-good address skips the account-wide count."""
    where = address_digest(address)
    limits = [Limit(f"address:{where}", settings.login_address_max_failures)]
    if account is not None:
        who = account_digest(account)
        limits.append(Limit(f"pair:{who}:{where}", settings.login_account_max_failures))
        if not known_address:
            limits.append(Limit(f"account:{who}", settings.login_account_wide_max_failures))
    return tuple(sorted(limits, key=lambda limit: limit.key))  # one lock order: no deadlocks


def _refusal(until: datetime, now: datetime) -> TooManyAttempts:
    seconds = max(1, math.ceil((until - now).total_seconds()))
    return TooManyAttempts(seconds)


async def _is_known(
    session: AsyncSession, settings: ContractsSettings, account: str, address: str, now: datetime
) -> bool:
    since = now - timedelta(days=settings.login_known_address_days)
    found = await session.scalar(
        select(LoginKnownAddress.last_success_at).where(
            LoginKnownAddress.account == account,
            LoginKnownAddress.address == address,
            LoginKnownAddress.last_success_at > since,
        )
    )
    return found is not None


async def admit(
    sessions: async_sessionmaker[AsyncSession],
    settings: ContractsSettings,
    *,
    account: str | None,
    address: str,
    now: datetime | None = None,
) -> Attempt:
    """Counts the attempt against each of its keys and commits, before any hashing; raises
    ``TooManyAttempts`` (with ``Retry-After``) when a key is locked or this attempt is one
    too many (which locks it). The count stands unless ``record_success`` takes it back."""
    now = now or datetime.now(UTC)
    window = timedelta(seconds=settings.login_window_seconds)
    refusal: datetime | None = None
    async with sessions() as session, session.begin():
        who = account_digest(account) if account is not None else None
        where = address_digest(address)
        known = who is not None and await _is_known(session, settings, who, where, now)
        limits = limits_for(settings, account=account, address=address, known_address=known)
        for limit in limits:
            await session.execute(
                insert(LoginAttempt)
                .values(
                    key=limit.key, failures=0, window_started_at=now, lockouts=0, updated_at=now
                )
                .on_conflict_do_nothing(index_elements=[LoginAttempt.key])
            )
        rows = {
            row.key: row
            for row in await session.scalars(
                select(LoginAttempt)
                .where(LoginAttempt.key.in_([limit.key for limit in limits]))
                .order_by(LoginAttempt.key)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        }
        locked = [r.locked_until for r in rows.values() if r.locked_until and r.locked_until > now]
        if locked:
            refusal = max(locked)
        else:
            for row in rows.values():
                if row.window_started_at <= now - window:
                    # A quiet window: counting starts again, and an old lockout is forgiven.
                    if row.locked_until is None or row.locked_until <= now - window:
                        row.lockouts = 0
                    row.failures = 0
                    row.window_started_at = now
                row.updated_at = now
            over = [limit for limit in limits if rows[limit.key].failures >= limit.max_failures]
            for limit in over:
                # One too many: this attempt locks the key and is refused (and not counted
                # against the others, since it never ran).
                row = rows[limit.key]
                seconds = min(
                    settings.login_lockout_base_seconds * 2 ** min(row.lockouts, 30),
                    settings.login_lockout_max_seconds,
                )
                row.locked_until = now + timedelta(seconds=seconds)
                row.lockouts += 1
                row.failures = 0
                row.window_started_at = now
                refusal = max(refusal or row.locked_until, row.locked_until)
            if not over:
                for row in rows.values():
                    row.failures += 1
            await session.flush()
            await _sweep(session, settings, now)
    if refusal is not None:
        raise _refusal(refusal, now)
    return Attempt(limits=limits, account=who, address=where)


async def _sweep(session: AsyncSession, settings: ContractsSettings, now: datetime) -> None:
    cutoff = (
        now
        - timedelta(seconds=settings.login_window_seconds)
        - timedelta(seconds=settings.login_lockout_max_seconds)
    )
    stale = (
        select(LoginAttempt.key)
        .where(LoginAttempt.updated_at < cutoff)
        .limit(_SWEEP)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    await session.execute(delete(LoginAttempt).where(LoginAttempt.key.in_(stale)))
    forgotten = now - timedelta(days=settings.login_known_address_days)
    old = (
        select(LoginKnownAddress.account, LoginKnownAddress.address)
        .where(LoginKnownAddress.last_success_at < forgotten)
        .limit(_SWEEP)
        .with_for_update(skip_locked=True)
    )
    await session.execute(
        delete(LoginKnownAddress).where(
            tuple_(LoginKnownAddress.account, LoginKnownAddress.address).in_(old)
        )
    )


async def record_success(
    session: AsyncSession, attempt: Attempt, *, now: datetime | None = None
) -> None:
    """The attempt was no failure: its pair's count starts again, the other counts take it
    back, and its address becomes known-good for the account."""
    now = now or datetime.now(UTC)
    pairs = [limit.key for limit in attempt.limits if limit.key.startswith("pair:")]
    others = [limit.key for limit in attempt.limits if not limit.key.startswith("pair:")]
    if pairs:
        await session.execute(delete(LoginAttempt).where(LoginAttempt.key.in_(pairs)))
    if others:
        await session.execute(
            update(LoginAttempt)
            .where(LoginAttempt.key.in_(others), LoginAttempt.failures > 0)
            .values(failures=LoginAttempt.failures - 1)
        )
    if attempt.account is not None:
        await session.execute(
            insert(LoginKnownAddress)
            .values(account=attempt.account, address=attempt.address, last_success_at=now)
            .on_conflict_do_update(
                index_elements=[LoginKnownAddress.account, LoginKnownAddress.address],
                set_={"last_success_at": now},
            )
        )
