"""The delivery worker: claim due rows with ``FOR UPDATE SKIP LOCKED`` and a lease, deliver
through each row's channel plugin, append an attempt, schedule the retry or settle the row.

Why our own worker on SQLAlchemy/asyncpg and not pgqueuer: the delivery row is at once the
queue entry and the record the API shows (status, attempts, next try, resend, recover), and
it must be written in the inbox's transaction through the same SQLAlchemy session. pgqueuer
keeps its own job table on its own asyncpg driver, deletes finished jobs into a log, and
retries on its own terms, so we would keep two sources of truth in step and still write the
Standard Webhooks schedule, Retry-After, resend and recover ourselves. The claim below is
one statement (the shape of the shared ``OutboxRelay``), leases make crashed workers' rows
claimable again, and any number of workers (in-process in dev, separate processes in
production) cooperate. What we give up is pgqueuer's LISTEN/NOTIFY wake-up: an idle worker
polls every ``delivery_poll_seconds``, and a busy one claims again at once.

Settling a row is guarded by ``locked_by``: a worker whose lease ran out (and whose row
another worker claimed) still logs its attempt but no longer decides the row's state.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import and_, bindparam, case, func, insert, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notify.channels.base import Channel, DeliveryJob, Outcome, excerpt
from notify.config import NotifySettings
from notify.deliveries.schedule import MAX_ATTEMPTS, next_delay
from notify.models import deliveries_table, delivery_attempts_table

log = structlog.get_logger(__name__)

ACTIVE = ("pending", "delivering")
# A row whose workers keep dying (lease after lease) without recording an outcome is a
# poison message: after this many claims it is dead rather than claimed forever.
MAX_CLAIMS = 2 * MAX_ATTEMPTS


class DeliveryWorker:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        channels: dict[str, Channel],
        settings: NotifySettings,
        *,
        worker_id: str | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.channels = channels
        self.settings = settings
        self.batch_size = settings.delivery_batch_size
        self.lease = timedelta(seconds=settings.delivery_lease_seconds)
        self.worker_id = worker_id or f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"

    async def claim(self, limit: int | None = None) -> list[DeliveryJob]:
        """Takes up to ``limit`` due rows: pending ones, and delivering ones whose lease ran
        out (their worker died); marks them delivering under our lease."""
        d = deliveries_table
        now = func.now()
        async with self.sessionmaker() as session, session.begin():
            due = (
                select(d.c.id)
                .where(
                    d.c.status.in_(ACTIVE),
                    d.c.next_attempt_at <= now,
                    or_(d.c.locked_until.is_(None), d.c.locked_until < now),
                )
                .order_by(d.c.next_attempt_at)
                .limit(limit or self.batch_size)
                .with_for_update(skip_locked=True)
                .cte("due")
            )
            rows = await session.execute(
                update(d)
                .where(d.c.id == due.c.id)
                .values(
                    status="delivering",
                    locked_until=now
                    + text(f"interval '{int(self.lease.total_seconds())} seconds'"),
                    locked_by=self.worker_id,
                    attempts=d.c.attempts + 1,
                    updated_at=now,
                )
                .returning(
                    d.c.id,
                    d.c.channel,
                    d.c.target,
                    d.c.endpoint_id,
                    d.c.customer_id,
                    d.c.event_id,
                    d.c.event_source,
                    d.c.event_type,
                    d.c.event_time,
                    d.c.payload,
                    d.c.attempts,
                    d.c.schedule_step,
                )
            )
            return [DeliveryJob(**row._mapping) for row in rows]

    async def deliver(
        self, jobs: Sequence[DeliveryJob]
    ) -> list[tuple[DeliveryJob, Outcome, dict[str, Any]]]:
        """Attempts every claimed job; returns each with its outcome and timing."""
        by_kind: dict[str, list[DeliveryJob]] = defaultdict(list)
        for job in jobs:
            by_kind[job.channel].append(job)
        async with self.sessionmaker() as session:
            for kind, group in by_kind.items():
                channel = self.channels.get(kind)
                if channel is not None:
                    await channel.prepare(session, group)
        return list(await asyncio.gather(*(self._attempt(job) for job in jobs)))

    async def _attempt(self, job: DeliveryJob) -> tuple[DeliveryJob, Outcome, dict[str, Any]]:
        started_at = datetime.now(UTC)
        started = time.perf_counter()
        channel = self.channels.get(job.channel)
        if channel is None:
            outcome = Outcome.failure(f"No channel plugin for {job.channel!r}.", permanent=True)
        else:
            try:
                outcome = await channel.deliver(job)
            except Exception as exc:
                log.exception("delivery_crashed", delivery_id=str(job.id), channel=job.channel)
                outcome = Outcome.failure(f"{type(exc).__name__}: {exc}")
        timing = {
            "started_at": started_at,
            "duration_ms": int((time.perf_counter() - started) * 1000),
        }
        return job, outcome, timing

    def _settle(self, job: DeliveryJob, outcome: Outcome) -> dict[str, Any]:
        """The row's new state after this attempt."""
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
        delay = next_delay(step, jitter=self.settings.delivery_jitter)
        if delay is None:
            values["b_status"] = "dead"
            return values
        if outcome.retry_after is not None:
            cap = timedelta(seconds=self.settings.max_retry_after_seconds)
            delay = max(min(outcome.retry_after, cap), timedelta(seconds=1))
        values.update(b_status="pending", b_next=datetime.now(UTC) + delay)
        return values

    async def record(self, results: Sequence[tuple[DeliveryJob, Outcome, dict[str, Any]]]) -> None:
        if not results:
            return
        d = deliveries_table
        settled = [self._settle(job, outcome) for job, outcome, _ in results]
        attempts = [
            {
                "delivery_id": job.id,
                "attempt": job.attempts,
                "worker": self.worker_id,
                "started_at": timing["started_at"],
                "duration_ms": timing["duration_ms"],
                "outcome": values["b_status"] if values["b_status"] != "pending" else "retry",
                "status_code": outcome.status_code,
                "response_excerpt": outcome.response_excerpt,
                "error": None
                if outcome.ok
                else excerpt(outcome.error or "", self.settings.response_excerpt_chars),
                "retry_at": values["b_next"],
            }
            for (job, outcome, timing), values in zip(results, settled, strict=True)
        ]
        statement = (
            update(d)
            .where(and_(d.c.id == bindparam("b_id"), d.c.locked_by == self.worker_id))
            .values(
                status=bindparam("b_status"),
                schedule_step=bindparam("b_step"),
                next_attempt_at=func.coalesce(bindparam("b_next"), d.c.next_attempt_at),
                last_status_code=bindparam("b_code"),
                last_error=bindparam("b_error"),
                delivered_at=bindparam("b_delivered_at"),
                locked_until=None,
                locked_by=None,
                updated_at=func.now(),
            )
        )
        by_kind: dict[str, list[tuple[DeliveryJob, Outcome]]] = defaultdict(list)
        for job, outcome, _ in results:
            by_kind[job.channel].append((job, outcome))
        async with self.sessionmaker() as session, session.begin():
            await session.execute(insert(delivery_attempts_table), attempts)
            await (await session.connection()).execute(statement, settled)
            for kind, group in by_kind.items():
                channel = self.channels.get(kind)
                if channel is not None:
                    await channel.after(session, group)
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

    async def run_once(self) -> int:
        """One claim-deliver-record round; returns how many deliveries it handled."""
        jobs = await self.claim()
        if not jobs:
            return 0
        await self.record(await self.deliver(jobs))
        return len(jobs)

    async def reap(self) -> int:
        """Gives rows whose worker died (lease over, no outcome) back to the queue, with an
        attempt saying so; a row claimed too often without an outcome is dead."""
        d = deliveries_table
        async with self.sessionmaker() as session, session.begin():
            expired = (
                select(d.c.id, d.c.locked_by, d.c.locked_until)
                .where(d.c.status == "delivering", d.c.locked_until < func.now())
                .with_for_update(skip_locked=True)
                .cte("expired")
            )
            lost = "The worker's lease ran out before it recorded an outcome."
            rows = (
                await session.execute(
                    update(d)
                    .where(d.c.id == expired.c.id)
                    .values(
                        status=case((d.c.attempts >= MAX_CLAIMS, "dead"), else_="pending"),
                        locked_by=None,
                        locked_until=None,
                        next_attempt_at=func.now(),
                        last_error=lost,
                        updated_at=func.now(),
                    )
                    .returning(
                        d.c.id,
                        d.c.attempts,
                        d.c.status,
                        expired.c.locked_by,
                        expired.c.locked_until,
                    )
                )
            ).all()
            if rows:
                await session.execute(
                    insert(delivery_attempts_table),
                    [
                        {
                            "delivery_id": row.id,
                            "attempt": row.attempts,
                            "worker": row.locked_by or "?",
                            "started_at": row.locked_until - self.lease,
                            "duration_ms": int(self.lease.total_seconds() * 1000),
                            "outcome": "lease_expired",
                            "error": lost,
                            "retry_at": None if row.status == "dead" else datetime.now(UTC),
                        }
                        for row in rows
                    ],
                )
        if rows:
            log.warning("delivery_leases_reaped", count=len(rows))
        return len(rows)

    async def run_forever(self, stop: asyncio.Event) -> None:
        last_reap = 0.0
        while not stop.is_set():
            handled = 0
            try:
                if time.monotonic() - last_reap > self.lease.total_seconds() / 2:
                    await self.reap()
                    last_reap = time.monotonic()
                handled = await self.run_once()
            except Exception:
                log.exception("delivery_worker_error")
            if handled < self.batch_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.settings.delivery_poll_seconds)
