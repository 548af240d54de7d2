"""Recording what attempts came to: an attempt row each, and the delivery row settled —
succeeded, failed, dead, or pending again at its next retry (Standard Webhooks schedule,
Retry-After honoured within a cap).

Settling a row is guarded by ``locked_by``: a worker whose lease ran out (and whose row
another worker claimed) still logs its attempt but no longer decides the row's state.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import and_, bindparam, func, insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from notify.channels.base import Channel, DeliveryJob, Outcome, excerpt
from notify.config import NotifySettings
from notify.deliveries.attempt import Result
from notify.deliveries.schedule import next_delay
from notify.models import deliveries_table, delivery_attempts_table

log = structlog.get_logger(__name__)

INTERRUPTED = "The worker stopped during the attempt; it is tried again at once."

# Built once: every recording reuses the compiled statements.
INSERT_ATTEMPTS = insert(delivery_attempts_table)
# Settles a row with the bound values of :func:`next_state`, only while ``b_worker`` holds it.
SETTLE = (
    update(deliveries_table)
    .where(
        and_(
            deliveries_table.c.id == bindparam("b_id"),
            deliveries_table.c.locked_by == bindparam("b_worker"),
        )
    )
    .values(
        status=bindparam("b_status"),
        schedule_step=bindparam("b_step"),
        next_attempt_at=func.coalesce(bindparam("b_next"), deliveries_table.c.next_attempt_at),
        last_status_code=bindparam("b_code"),
        last_error=bindparam("b_error"),
        delivered_at=bindparam("b_delivered_at"),
        locked_until=None,
        locked_by=None,
        updated_at=func.now(),
    )
)


def next_state(job: DeliveryJob, outcome: Outcome, settings: NotifySettings) -> dict[str, Any]:
    """The row's new state after this attempt (bound parameters of the settling update)."""
    step = job.schedule_step + 1
    values: dict[str, Any] = {
        "b_id": job.id,
        "b_step": step,
        "b_code": outcome.status_code,
        "b_error": None if outcome.ok else (outcome.error or "failed")[:2000],
        "b_delivered_at": None,
        "b_next": None,
    }
    if outcome.ok:
        values.update(b_status="succeeded", b_delivered_at=datetime.now(UTC))
        return values
    if outcome.permanent:
        values["b_status"] = "failed"
        return values
    delay = next_delay(step, jitter=settings.delivery_jitter)
    if delay is None:
        values["b_status"] = "dead"
        return values
    if outcome.retry_after is not None:
        cap = timedelta(seconds=settings.max_retry_after_seconds)
        delay = max(min(outcome.retry_after, cap), timedelta(seconds=1))
    values.update(b_status="pending", b_next=datetime.now(UTC) + delay)
    return values


async def record_results(
    session: AsyncSession,
    results: Sequence[Result],
    *,
    worker_id: str,
    settings: NotifySettings,
    channels: dict[str, Channel],
) -> list[dict[str, Any]]:
    """Appends an attempt per result and settles each row still ``worker_id``'s, then lets
    each kind's channel react (:meth:`Channel.after`), all in the caller's transaction.
    Returns each row's new state, for :func:`log_failures` once that has committed."""
    settled = [next_state(job, outcome, settings) for job, outcome, _ in results]
    attempts = [
        {
            "delivery_id": job.id,
            "attempt": job.attempts,
            "worker": worker_id,
            "started_at": timing["started_at"],
            "duration_ms": timing["duration_ms"],
            "outcome": values["b_status"] if values["b_status"] != "pending" else "retry",
            "status_code": outcome.status_code,
            "response_excerpt": outcome.response_excerpt,
            "error": None
            if outcome.ok
            else excerpt(outcome.error or "", settings.response_excerpt_chars),
            "retry_at": values["b_next"],
        }
        for (job, outcome, timing), values in zip(results, settled, strict=True)
    ]
    by_kind: dict[str, list[tuple[DeliveryJob, Outcome]]] = defaultdict(list)
    for job, outcome, _ in results:
        by_kind[job.channel].append((job, outcome))
    connection = await session.connection()
    await connection.execute(INSERT_ATTEMPTS, attempts)
    await connection.execute(SETTLE, [{**values, "b_worker": worker_id} for values in settled])
    for kind, group in by_kind.items():
        channel = channels.get(kind)
        if channel is not None:
            await channel.after(session, group)
    return settled


def log_failures(results: Sequence[Result], settled: Sequence[dict[str, Any]]) -> None:
    for (job, outcome, _), values in zip(results, settled, strict=True):
        if not outcome.ok:
            log.info(
                "delivery_attempt_failed",
                delivery_id=str(job.id),
                channel=job.channel,
                attempt=job.attempts,
                status=values["b_status"],
                error=(outcome.error or "")[:200],
            )


async def release_interrupted(
    session: AsyncSession, interrupted: Sequence[DeliveryJob], *, worker_id: str
) -> int:
    """Gives rows whose attempt was cut short by a stopping worker back to the queue at
    once (their place in the retry schedule kept), with an attempt saying so; returns
    how many were still ours."""
    d = deliveries_table
    now = datetime.now(UTC)
    await session.execute(
        INSERT_ATTEMPTS,
        [
            {
                "delivery_id": job.id,
                "attempt": job.attempts,
                "worker": worker_id,
                "started_at": now,
                "duration_ms": 0,
                "outcome": "retry",
                "error": INTERRUPTED,
                "retry_at": now,
            }
            for job in interrupted
        ],
    )
    result = await session.execute(
        update(d)
        .where(d.c.id.in_([job.id for job in interrupted]), d.c.locked_by == worker_id)
        .values(
            status="pending",
            next_attempt_at=func.now(),
            last_error=INTERRUPTED,
            locked_until=None,
            locked_by=None,
            updated_at=func.now(),
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
