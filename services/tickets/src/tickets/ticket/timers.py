"""SLA timers: warnings and breaches fire as events within seconds of the exact instant.

A worker claims due timers with ``FOR UPDATE SKIP LOCKED`` and, in the same
transaction, re-checks the clock, emits the event through the outbox and marks the timer
fired: any number of replicas cooperate, none fires a timer twice, and a crash before the
commit leaves the timer for the next worker.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

import structlog
from prometheus_client import Gauge
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from careplane_shared.events import Outbox
from tickets.models import SlaTimer, Ticket
from tickets.ticket import clocks
from tickets.ticket.events import event_data

log = structlog.get_logger(__name__)

EVENT_TYPES = {"warning": "sla.warning", "breach": "sla.breached"}

TIMER_LAG = Gauge(
    "careplane_sla_timer_lag_seconds",
    "How far past its firing time the oldest unfired SLA timer is (0 when none is due).",
    ["service"],
)
_OLDEST_DUE = select(func.extract("epoch", func.now() - func.min(SlaTimer.fire_at))).where(
    SlaTimer.fired_at.is_(None), SlaTimer.fire_at <= func.now()
)


async def fire_due(session: AsyncSession, outbox: Outbox, *, batch: int = 50) -> int:
    """Fires the timers due now (in the caller's transaction); returns how many it took."""
    now = datetime.now(UTC)
    timers = (
        await session.scalars(
            select(SlaTimer)
            .where(SlaTimer.fired_at.is_(None), SlaTimer.fire_at <= now)
            .order_by(SlaTimer.fire_at)
            .limit(batch)
            .with_for_update(skip_locked=True)
        )
    ).all()
    for timer in timers:
        timer.fired_at = now
        ticket = await session.get(Ticket, timer.ticket_id)
        if ticket is None:
            continue
        history = await clocks.history_of(session, ticket.id)
        current = next(
            (
                c
                for c in clocks.compute(ticket, history, as_of=now)
                if c.metric.value == timer.metric and c.cycle == timer.cycle
            ),
            None,
        )
        # The clock may have stopped or moved since the timer was set: then it says nothing.
        if current is None or current.stopped_at is not None or current.due_at != timer.due_at:
            continue
        await outbox.emit(
            session,
            EVENT_TYPES[timer.kind],
            event_data(
                ticket,
                metric=timer.metric,
                cycle=timer.cycle,
                due_at=timer.due_at.isoformat(),
                target_minutes=current.target_minutes,
                fire_at=timer.fire_at.isoformat(),
                fired_late_seconds=round((now - timer.fire_at).total_seconds(), 3),
                assignee_id=str(ticket.assignee_id) if ticket.assignee_id else None,
            ),
            subject=ticket.number,
        )
        log.info("sla_timer_fired", kind=timer.kind, number=ticket.number, metric=timer.metric)
    return len(timers)


async def seconds_to_next(session: AsyncSession) -> float | None:
    next_at = await session.scalar(
        select(func.min(SlaTimer.fire_at)).where(SlaTimer.fired_at.is_(None))
    )
    if next_at is None:
        return None
    return max((next_at - datetime.now(UTC)).total_seconds(), 0.0)


async def run_timer_worker(
    sessionmaker: async_sessionmaker[AsyncSession],
    outbox: Outbox,
    stop: asyncio.Event,
    *,
    poll_seconds: float = 1.0,
) -> None:
    """Sleeps until the next timer is due (at most ``poll_seconds``, so timers set by
    other replicas are seen quickly), fires what is due, repeats until stopped."""
    while not stop.is_set():
        wait = poll_seconds
        try:
            async with sessionmaker() as session, session.begin():
                fired = await fire_due(session, outbox)
            if fired:
                continue
            async with sessionmaker() as session:
                upcoming = await seconds_to_next(session)
            if upcoming is not None:
                wait = min(wait, upcoming)
        except Exception:
            log.exception("sla_timer_worker_error")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=max(wait, 0.01))


async def sla_timer_lag_probe(session: AsyncSession, service: str) -> None:
    """Sets the timer lag gauge: the first entry of the partial index of unfired timers.
    A lag beyond a few seconds means no worker is firing warnings and breaches."""
    lag = await session.scalar(_OLDEST_DUE)
    TIMER_LAG.labels(service).set(max(float(lag or 0), 0.0))
