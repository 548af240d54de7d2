"""Gauges of work waiting in the database (outbox, timers, deliveries), sampled by a loop.

Request metrics say how the API answers; they say nothing about work that piles up behind
it (a receiver that is down, a worker that stopped). Each service gives the sampler a few
probes, each one cheap statement on a partial index, and the sampler runs them every
``metrics_sample_seconds`` in every process that runs workers. Every replica reports the
same values: aggregate them with ``max``, not ``sum``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable, Sequence

import structlog
from prometheus_client import Gauge
from sqlalchemy import Table, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = structlog.get_logger(__name__)

Probe = Callable[[AsyncSession, str], Awaitable[None]]
"""Runs its statement in the session and sets its gauges for the service it is given."""

STATEMENT_TIMEOUT = "5s"
"""A probe that cannot answer quickly is skipped for this round rather than piling up."""

OUTBOX_PENDING = Gauge(
    "careplane_outbox_pending_events",
    "Outbox events not yet delivered to their destination.",
    ["service", "destination"],
)
OUTBOX_OLDEST_AGE = Gauge(
    "careplane_outbox_oldest_pending_age_seconds",
    "Age of the oldest outbox event not yet delivered to its destination (0 when none).",
    ["service", "destination"],
)
SAMPLED_AT = Gauge(
    "careplane_metrics_sampled_timestamp_seconds",
    "When this process last sampled every backlog gauge without an error (Unix time).",
    ["service"],
)


def outbox_probe(table: Table, destinations: Iterable[str]) -> Probe:
    """Pending events and the oldest one's age per destination, over the outbox's partial
    index of undelivered rows. Configured destinations, and any seen before, read 0 when
    nothing waits for them, so a drained backlog shows as 0 rather than as a stale value."""
    t = table
    statement = (
        select(
            t.c.destination,
            func.count(),
            func.extract("epoch", func.now() - func.min(t.c.created_at)),
        )
        .where(t.c.delivered_at.is_(None))
        .group_by(t.c.destination)
    )
    known = set(destinations)

    async def probe(session: AsyncSession, service: str) -> None:
        rows = {row[0]: row for row in (await session.execute(statement)).all()}
        known.update(rows)
        for destination in known:
            _, count, age = rows.get(destination, (destination, 0, 0))
            OUTBOX_PENDING.labels(service, destination).set(count)
            OUTBOX_OLDEST_AGE.labels(service, destination).set(max(float(age or 0), 0.0))

    return probe


class MetricsSampler:
    """Runs a service's probes, each in its own short transaction, and records when."""

    def __init__(self, service: str, probes: Sequence[Probe], every_seconds: float) -> None:
        self.service = service
        self.probes = tuple(probes)
        self.every_seconds = every_seconds

    async def run_once(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        """One round; a failing probe is logged and leaves its gauges as they were, and the
        round's time is recorded only when every probe answered (stale gauges show)."""
        failed = False
        for probe in self.probes:
            try:
                async with sessionmaker() as session, session.begin():
                    await session.execute(
                        text(f"SET LOCAL statement_timeout = '{STATEMENT_TIMEOUT}'")
                    )
                    await probe(session, self.service)
            except Exception:
                failed = True
                log.exception("metrics_probe_failed", probe=getattr(probe, "__qualname__", "?"))
        if not failed:
            SAMPLED_AT.labels(self.service).set_to_current_time()

    async def run_forever(
        self, sessionmaker: async_sessionmaker[AsyncSession], stop: asyncio.Event
    ) -> None:
        """A round every ``every_seconds`` until ``stop``."""
        while not stop.is_set():
            await self.run_once(sessionmaker)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.every_seconds)
