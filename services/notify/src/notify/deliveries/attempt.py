"""One delivery attempt: through its channel plugin, within its target's slots and a total
deadline, never raising.

An attempt touches no database (channels deliver concurrently); what it comes to is a
:class:`~notify.channels.base.Outcome` with its timing, which
:mod:`notify.deliveries.outcome` records. Every attempt has a total deadline
(``delivery_deadline_seconds``: connect, send and read together), and answers are read capped
and streamed (:mod:`notify.channels.http`), so one slow target delays only its own attempts.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import structlog

from notify.channels.base import Channel, DeliveryJob, Outcome
from notify.deliveries.claim import target_key

log = structlog.get_logger(__name__)

Result = tuple[DeliveryJob, Outcome, dict[str, Any]]


class TargetLimits:
    """A semaphore per target, made on first use and dropped when nobody holds or awaits it."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._held: dict[str, tuple[asyncio.Semaphore, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        semaphore, users = self._held.get(key, (asyncio.Semaphore(self.size), 0))
        self._held[key] = (semaphore, users + 1)
        try:
            async with semaphore:
                yield
        finally:
            semaphore, users = self._held[key]
            if users <= 1:
                del self._held[key]
            else:
                self._held[key] = (semaphore, users - 1)

    def __len__(self) -> int:
        return len(self._held)


async def attempt(
    job: DeliveryJob, channel: Channel | None, *, limits: TargetLimits, deadline: float
) -> Result:
    """Delivers ``job`` once (waiting for a slot of its target); returns it with its outcome
    and timing. A missing plugin fails permanently; a crash or the deadline is a failure
    tried again later."""
    async with limits.hold(target_key(job)):
        started_at = datetime.now(UTC)
        started = time.perf_counter()
        if channel is None:
            outcome = Outcome.failure(f"No channel plugin for {job.channel!r}.", permanent=True)
        else:
            outcome = await _within_deadline(channel, job, deadline)
    timing = {
        "started_at": started_at,
        "duration_ms": int((time.perf_counter() - started) * 1000),
    }
    return job, outcome, timing


async def _within_deadline(channel: Channel, job: DeliveryJob, seconds: float) -> Outcome:
    deadline = asyncio.timeout(seconds)
    try:
        async with deadline:
            return await channel.deliver(job)
    except TimeoutError as exc:
        if deadline.expired():
            return Outcome.failure(
                f"Deadline: no complete answer within {seconds:g} s "
                "(connect, send and read together); tried again later."
            )
        return _crashed(job, exc)
    except Exception as exc:
        return _crashed(job, exc)


def _crashed(job: DeliveryJob, exc: Exception) -> Outcome:
    log.exception("delivery_crashed", delivery_id=str(job.id), channel=job.channel)
    return Outcome.failure(f"{type(exc).__name__}: {exc}")
