"""The delivery worker: claim due rows with ``FOR UPDATE SKIP LOCKED`` and a lease, deliver
through each row's channel plugin, append an attempt, schedule the retry or settle the row.

Why our own worker on SQLAlchemy/asyncpg and not pgqueuer: the delivery row is at once the
queue entry and the record the API shows (status, attempts, next try, resend, recover), and
it must be written in the inbox's transaction through the same SQLAlchemy session. pgqueuer
keeps its own job table on its own asyncpg driver, deletes finished jobs into a log, and
retries on its own terms, so we would keep two sources of truth in step and still write the
Standard Webhooks schedule, Retry-After, resend and recover ourselves. Any number of workers
(in-process in dev, separate processes in production) cooperate. What we give up is
pgqueuer's LISTEN/NOTIFY wake-up across processes: a worker is woken by the commits of its own
process that wrote deliveries (``careplane_shared.events.wakeup``), and polls every
``delivery_poll_seconds`` for the rest (other processes' rows, retries coming due).

This module runs the loop; each step has its own:

- :mod:`notify.deliveries.claim`: the fair claim (per target, per customer) under a lease,
  and reaping the rows of workers that died;
- :mod:`notify.deliveries.attempt`: one attempt through its channel, within its target's
  slots and a total deadline;
- :mod:`notify.deliveries.outcome`: the attempt rows and the row's new state, guarded by
  ``locked_by``.

Attempts settle one by one: a worker records each outcome as it comes (a few at once when
they come together) and claims more as soon as it has room, never waiting for a whole batch;
``run_forever`` keeps up to ``delivery_batch_size`` attempts in flight.
"""

from __future__ import annotations

import asyncio
import copy
import socket
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

import structlog
from opentelemetry import trace
from opentelemetry.trace import StatusCode, Tracer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from careplane_shared.events.wakeup import committed_rows
from careplane_shared.leases import release_shielded
from careplane_shared.tracing import event_span
from notify.channels.base import Channel, DeliveryJob
from notify.config import NotifySettings
from notify.deliveries.attempt import Result, TargetLimits, attempt
from notify.deliveries.claim import Claimed, claim, reap_expired
from notify.deliveries.outcome import (
    INTERRUPTED,
    log_failures,
    record_results,
    release_interrupted,
)
from notify.models import deliveries_table

__all__ = ["INTERRUPTED", "DeliveryWorker"]

log = structlog.get_logger(__name__)

# Once one attempt has settled, how long to wait for others to record them together.
RECORD_LINGER_SECONDS = 0.01


class DeliveryWorker:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        channels: dict[str, Channel],
        settings: NotifySettings,
        *,
        worker_id: str | None = None,
        tracer: Tracer | None = None,
    ) -> None:
        """``tracer`` (tracing on): each attempt runs in a span of its event's trace."""
        self.sessionmaker = sessionmaker
        self.tracer = tracer
        self.channels = channels
        self.settings = settings
        self.batch_size = settings.delivery_batch_size
        self.lease = timedelta(seconds=settings.delivery_lease_seconds)
        self.deadline = settings.delivery_deadline_seconds
        self.per_target = settings.delivery_target_concurrency
        self.per_customer = settings.delivery_customer_concurrency
        self.limits = TargetLimits(self.per_target)
        self.worker_id = worker_id or f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"
        self.stop_drain_seconds = settings.delivery_stop_drain_seconds

    async def claim(self, limit: int | None = None) -> list[DeliveryJob]:
        """Takes up to ``limit`` (else ``delivery_batch_size``) due rows, fairly, under our
        lease (:func:`notify.deliveries.claim.claim_due`)."""
        return (await self._claim(limit or self.batch_size)).jobs

    async def start(self, jobs: Sequence[DeliveryJob]) -> dict[asyncio.Task[Result], DeliveryJob]:
        """Prepares the claimed jobs (one query per kind) and starts an attempt for each.

        Each batch is prepared on its own copy of the channel: a channel keeps what
        ``prepare`` loaded for the attempts that follow, and batches overlap."""
        by_kind: dict[str, list[DeliveryJob]] = defaultdict(list)
        for job in jobs:
            by_kind[job.channel].append(job)
        prepared: dict[str, Channel] = {}
        if jobs:
            async with self.sessionmaker() as session:
                for kind, group in by_kind.items():
                    channel = self.channels.get(kind)
                    if channel is not None:
                        prepared[kind] = copy.copy(channel)
                        await prepared[kind].prepare(session, group)
        attempt_of = attempt if self.tracer is None else self._traced_attempt
        return {
            asyncio.create_task(
                attempt_of(
                    job, prepared.get(job.channel), limits=self.limits, deadline=self.deadline
                )
            ): job
            for job in jobs
        }

    async def _traced_attempt(
        self, job: DeliveryJob, channel: Channel | None, *, limits: TargetLimits, deadline: float
    ) -> Result:
        """An attempt in a span parented to the trace context its event carried
        (``traceparent`` in the delivery's payload, :mod:`notify.event_privacy`)."""
        attributes: dict[str, str | int] = {
            "careplane.delivery.id": str(job.id),
            "careplane.delivery.channel": job.channel,
            "careplane.delivery.attempt": job.attempts,
            "cloudevents.event_id": job.event_id,
            "cloudevents.event_type": job.event_type,
        }
        with event_span(self.tracer, f"deliver {job.channel}", job.payload, attributes):
            result = await attempt(job, channel, limits=limits, deadline=deadline)
            outcome = result[1]
            if not outcome.ok:
                span = trace.get_current_span()
                span.set_status(StatusCode.ERROR, outcome.error)
                if outcome.status_code is not None:
                    span.set_attribute("http.response.status_code", outcome.status_code)
            return result

    async def deliver(self, jobs: Sequence[DeliveryJob]) -> list[Result]:
        """Attempts every claimed job; returns each with its outcome and timing."""
        return list(await asyncio.gather(*await self.start(jobs)))

    async def record(self, results: Sequence[Result]) -> None:
        """Records the attempts and settles the rows still ours, in one transaction."""
        if not results:
            return
        async with self.sessionmaker() as session, session.begin():
            settled = await record_results(
                session,
                results,
                worker_id=self.worker_id,
                settings=self.settings,
                channels=self.channels,
            )
        log_failures(results, settled)

    async def run_once(self) -> int:
        """One claim; each attempt is recorded as it settles (a slow one delays only
        itself). Returns how many deliveries it handled once every attempt settled."""
        jobs = await self.claim()
        if not jobs:
            return 0
        pending = set(await self.start(jobs))
        try:
            while pending:
                settled, pending = await self._settled(pending)
                await self.record([task.result() for task in settled])
        finally:
            for task in pending:  # cancelled (a worker killed): the leases stay
                task.cancel()
        return len(jobs)

    async def _settled(
        self, pending: Iterable[asyncio.Task[Result]]
    ) -> tuple[set[asyncio.Task[Result]], set[asyncio.Task[Result]]]:
        """Waits for an attempt to settle, then briefly for any others settling with it."""
        settled, rest = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        if settled and rest:
            more, rest = await asyncio.wait(rest, timeout=RECORD_LINGER_SECONDS)
            settled |= more
        return settled, rest

    async def reap(self) -> int:
        """Gives rows whose worker died back to the queue
        (:func:`notify.deliveries.claim.reap_expired`)."""
        async with self.sessionmaker() as session, session.begin():
            reaped = await reap_expired(session, lease=self.lease)
        if reaped:
            log.warning("delivery_leases_reaped", count=reaped)
        return reaped

    async def release(self, interrupted: Sequence[DeliveryJob]) -> int:
        """Gives rows whose attempt was cut short by a stopping worker back to the queue at
        once (their place in the retry schedule kept), with an attempt saying so."""
        if not interrupted:
            return 0
        async with self.sessionmaker() as session, session.begin():
            return await release_interrupted(session, interrupted, worker_id=self.worker_id)

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Keeps up to ``delivery_batch_size`` attempts in flight and records each as it
        settles. Claims when a transaction of this process that wrote deliveries commits
        (routing), when room frees while the last claim left due rows behind, and at least
        every ``delivery_poll_seconds`` (rows written elsewhere, retries coming due); a
        claim that found everything due is not followed by another at each settling
        attempt. On stop it claims nothing more; the attempts in flight are finished or
        cut short and given back (:meth:`_wind_down`)."""
        in_flight: dict[asyncio.Task[Result], DeliveryJob] = {}
        poll = self.settings.delivery_poll_seconds
        stopping = asyncio.create_task(stop.wait())
        last_reap = 0.0
        next_poll = 0.0
        more_due = True  # whether a claim now may find something: at start, yes
        with committed_rows(deliveries_table) as routed:
            woken = asyncio.create_task(routed.wait())
            try:
                while not stop.is_set():
                    try:
                        if time.monotonic() - last_reap > self.lease.total_seconds() / 2:
                            more_due |= await self.reap() > 0
                            last_reap = time.monotonic()
                        room = self.batch_size - len(in_flight)
                        now = time.monotonic()
                        if room <= 0:
                            next_poll = max(next_poll, now + poll)
                        elif more_due or routed.is_set() or now >= next_poll:
                            routed.clear()  # a commit from here on wakes the next claim
                            next_poll = now + poll
                            claimed = await self._claim(room)
                            # Nothing taken: rows may wait for the slots our attempts hold.
                            left = claimed.left if claimed.left is not None else len(in_flight)
                            more_due = left > 0
                            in_flight.update(await self.start(claimed.jobs))
                    except Exception:
                        log.exception("delivery_worker_error")
                    waiting: list[asyncio.Future[Any]] = [*in_flight, stopping]
                    if not routed.is_set():
                        if woken.done():
                            woken = asyncio.create_task(routed.wait())
                        waiting.append(woken)
                    await asyncio.wait(
                        waiting,
                        timeout=max(0.0, next_poll - time.monotonic()),
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                    if stop.is_set() or not any(task.done() for task in in_flight):
                        continue
                    settled, _ = await self._settled(in_flight)
                    results = [task.result() for task in settled]
                    for task in settled:
                        del in_flight[task]
                    try:
                        await self.record(results)
                    except Exception:  # the rows stay leased: reaped and tried again
                        log.exception("delivery_worker_error")
            finally:
                woken.cancel()
                stopping.cancel()
                await self._wind_down(in_flight)

    async def _claim(self, limit: int) -> Claimed:
        async with self.sessionmaker() as session, session.begin():
            return await claim(
                session,
                limit=limit,
                per_target=self.per_target,
                per_customer=self.per_customer,
                lease=self.lease,
                worker_id=self.worker_id,
            )

    async def _wind_down(self, in_flight: dict[asyncio.Task[Result], DeliveryJob]) -> None:
        """At stop: the attempts in flight get ``delivery_stop_drain_seconds`` to settle;
        the settled ones are recorded as usual, the rest cut short and released at once
        (:mod:`careplane_shared.leases`), also when the worker is cancelled meanwhile."""
        try:
            if in_flight and self.stop_drain_seconds > 0:
                await asyncio.wait(in_flight, timeout=self.stop_drain_seconds)
        finally:
            for task in in_flight:
                task.cancel()
            await asyncio.gather(*in_flight, return_exceptions=True)
            settled = [t for t in in_flight if not t.cancelled() and t.exception() is None]
            cut_short = [job for t, job in in_flight.items() if t not in settled]
            try:
                await self.record([t.result() for t in settled])
            except Exception:
                log.exception("delivery_worker_error")
                cut_short = list(in_flight.values())  # nothing recorded: all go back
            if cut_short:
                await release_shielded("deliveries", self.release, cut_short)
