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

One tenant's target must not stall the others, so:

- every attempt has a total deadline (``delivery_deadline_seconds``: connect, send and read
  together), and answers are read capped and streamed (:mod:`notify.channels.http`);
- attempts settle one by one: a worker records each outcome as it comes (a few at once when
  they come together) and claims more as soon as it has room, never waiting for a whole
  batch; ``run_forever`` keeps up to ``delivery_batch_size`` attempts in flight;
- a target (webhook endpoint, chat channel, mail recipient) has at most
  ``delivery_target_concurrency`` deliveries in flight: the claim ranks the due rows per
  target (a window function) and takes no more of one target than it has free slots, counting
  what every worker holds under a live lease, and each worker holds a semaphore per target.
  A flood for one target leaves the rest of the batch to the others;
- a customer has at most ``delivery_customer_concurrency`` deliveries in flight, all its
  targets together (endpoints per customer are capped too, but a few endpoints times their
  slots could still fill a batch): the rows the target ranking lets through are ranked again
  per customer, the same way, counting what the customer has in flight. Deliveries of no
  customer (staff mail, global endpoints and channels) are not limited by it.

  The ranking reads every
  due row (roughly half a second per 100,000 due rows on a small machine); should backlogs
  grow past that, an index on the active rows' ``(target, next_attempt_at)`` and a claim per
  target (a loose index scan with a lateral join) would make it depend on the number of
  targets instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import socket
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import (
    Text,
    and_,
    bindparam,
    case,
    cast,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
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
# Once one attempt has settled, how long to wait for others to record them together.
RECORD_LINGER_SECONDS = 0.01
INTERRUPTED = "The worker stopped during the attempt; it is tried again at once."

Result = tuple[DeliveryJob, Outcome, dict[str, Any]]


def target_key(job: DeliveryJob) -> str:
    """The target a delivery counts against: its endpoint or chat channel, else its
    recipient. The claim query computes the same (``_target_key``)."""
    return str(job.endpoint_id) if job.endpoint_id is not None else job.target


def _target_key() -> Any:
    d = deliveries_table
    return func.coalesce(cast(d.c.endpoint_id, Text), d.c.target)


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
        self.deadline = settings.delivery_deadline_seconds
        self.per_target = settings.delivery_target_concurrency
        self.per_customer = settings.delivery_customer_concurrency
        self.limits = TargetLimits(self.per_target)
        self.worker_id = worker_id or f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"

    async def claim(self, limit: int | None = None) -> list[DeliveryJob]:
        """Takes up to ``limit`` due rows: pending ones, and delivering ones whose lease ran
        out (their worker died); marks them delivering under our lease.

        Fair: per target, the due rows are ranked by when they came due, and a row is taken
        only while its rank plus what is in flight to its target (live leases, any worker)
        stays within ``delivery_target_concurrency``; the rows that pass are ranked the same
        way per customer against ``delivery_customer_concurrency`` (rows of no customer
        pass); the oldest of those rows go first."""
        d = deliveries_table
        now = func.now()
        key = _target_key()
        due_now = and_(
            d.c.status.in_(ACTIVE),
            d.c.next_attempt_at <= now,
            or_(d.c.locked_until.is_(None), d.c.locked_until < now),
        )
        in_flight = and_(d.c.status == "delivering", d.c.locked_until >= now)
        busy = (
            select(key.label("key"), func.count().label("n"))
            .where(in_flight)
            .group_by(key)
            .cte("busy")
        )
        customer_busy = (
            select(d.c.customer_id, func.count().label("n"))
            .where(in_flight, d.c.customer_id.is_not(None))
            .group_by(d.c.customer_id)
            .cte("customer_busy")
        )
        ranked = (
            select(
                d.c.id,
                d.c.customer_id,
                d.c.next_attempt_at,
                (
                    func.row_number().over(partition_by=key, order_by=(d.c.next_attempt_at, d.c.id))
                    + func.coalesce(busy.c.n, 0)
                ).label("slot"),
            )
            .select_from(d.outerjoin(busy, busy.c.key == key))
            .where(due_now)
            .subquery("ranked")
        )
        target_fair = (
            select(ranked.c.id, ranked.c.customer_id, ranked.c.next_attempt_at)
            .where(ranked.c.slot <= self.per_target)
            .subquery("target_fair")
        )
        customer_ranked = (
            select(
                target_fair.c.id,
                target_fair.c.customer_id,
                (
                    func.row_number().over(
                        partition_by=target_fair.c.customer_id,
                        order_by=(target_fair.c.next_attempt_at, target_fair.c.id),
                    )
                    + func.coalesce(customer_busy.c.n, 0)
                ).label("slot"),
            )
            .select_from(
                target_fair.outerjoin(
                    customer_busy, customer_busy.c.customer_id == target_fair.c.customer_id
                )
            )
            .subquery("customer_ranked")
        )
        size = limit or self.batch_size
        # Not limited itself: rows another worker is locking right now are skipped below and
        # the next fair ones taken instead. Computed once (an array), then looked up by key:
        # a plan that recomputed the ranking per row would be quadratic.
        fair = func.array(
            select(customer_ranked.c.id)
            .where(
                or_(
                    customer_ranked.c.customer_id.is_(None),
                    customer_ranked.c.slot <= self.per_customer,
                )
            )
            .scalar_subquery()
        )
        async with self.sessionmaker() as session, session.begin():
            due = (
                select(d.c.id)
                .where(d.c.id == func.any(fair), due_now)
                .order_by(d.c.next_attempt_at)
                .limit(size)
                .with_for_update(of=d, skip_locked=True)
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
        return {
            asyncio.create_task(self._attempt(job, prepared.get(job.channel))): job for job in jobs
        }

    async def deliver(self, jobs: Sequence[DeliveryJob]) -> list[Result]:
        """Attempts every claimed job; returns each with its outcome and timing."""
        return list(await asyncio.gather(*await self.start(jobs)))

    async def _attempt(self, job: DeliveryJob, channel: Channel | None) -> Result:
        async with self.limits.hold(target_key(job)):
            started_at = datetime.now(UTC)
            started = time.perf_counter()
            if channel is None:
                outcome = Outcome.failure(f"No channel plugin for {job.channel!r}.", permanent=True)
            else:
                outcome = await self._within_deadline(channel, job)
        timing = {
            "started_at": started_at,
            "duration_ms": int((time.perf_counter() - started) * 1000),
        }
        return job, outcome, timing

    async def _within_deadline(self, channel: Channel, job: DeliveryJob) -> Outcome:
        deadline = asyncio.timeout(self.deadline)
        try:
            async with deadline:
                return await channel.deliver(job)
        except TimeoutError as exc:
            if deadline.expired():
                return Outcome.failure(
                    f"Deadline: no complete answer within {self.deadline:g} s "
                    "(connect, send and read together); tried again later."
                )
            return self._crashed(job, exc)
        except Exception as exc:
            return self._crashed(job, exc)

    def _crashed(self, job: DeliveryJob, exc: Exception) -> Outcome:
        log.exception("delivery_crashed", delivery_id=str(job.id), channel=job.channel)
        return Outcome.failure(f"{type(exc).__name__}: {exc}")

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

    async def release(self, interrupted: Sequence[DeliveryJob]) -> None:
        """Gives rows whose attempt was cut short by a stopping worker back to the queue at
        once (their place in the retry schedule kept), with an attempt saying so."""
        if not interrupted:
            return
        d = deliveries_table
        now = datetime.now(UTC)
        async with self.sessionmaker() as session, session.begin():
            await session.execute(
                insert(delivery_attempts_table),
                [
                    {
                        "delivery_id": job.id,
                        "attempt": job.attempts,
                        "worker": self.worker_id,
                        "started_at": now,
                        "duration_ms": 0,
                        "outcome": "retry",
                        "error": INTERRUPTED,
                        "retry_at": now,
                    }
                    for job in interrupted
                ],
            )
            await session.execute(
                update(d)
                .where(
                    d.c.id.in_([job.id for job in interrupted]),
                    d.c.locked_by == self.worker_id,
                )
                .values(
                    status="pending",
                    next_attempt_at=func.now(),
                    last_error=INTERRUPTED,
                    locked_until=None,
                    locked_by=None,
                    updated_at=func.now(),
                )
            )

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Keeps up to ``delivery_batch_size`` attempts in flight: claims whenever there is
        room, records each attempt as it settles, polls every ``delivery_poll_seconds``
        for newly due rows. On stop, attempts still running are cut short and given back."""
        in_flight: dict[asyncio.Task[Result], DeliveryJob] = {}
        stopping = asyncio.create_task(stop.wait())
        last_reap = 0.0
        try:
            while not stop.is_set():
                try:
                    if time.monotonic() - last_reap > self.lease.total_seconds() / 2:
                        await self.reap()
                        last_reap = time.monotonic()
                    room = self.batch_size - len(in_flight)
                    if room > 0:
                        in_flight.update(await self.start(await self.claim(room)))
                except Exception:
                    log.exception("delivery_worker_error")
                await asyncio.wait(
                    [*in_flight, stopping],
                    timeout=self.settings.delivery_poll_seconds,
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
            stopping.cancel()
            await self._wind_down(in_flight)

    async def _wind_down(self, in_flight: dict[asyncio.Task[Result], DeliveryJob]) -> None:
        for task in in_flight:
            task.cancel()
        await asyncio.gather(*in_flight, return_exceptions=True)
        finished = [t.result() for t in in_flight if not t.cancelled() and t.exception() is None]
        cut_short = [job for t, job in in_flight.items() if t.cancelled() or t.exception()]
        try:
            await self.record(finished)
            await self.release(cut_short)
        except Exception:
            log.exception("delivery_worker_error")
