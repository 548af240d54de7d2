"""Announces each confirmed visit as it starts (``visit.started``), naming the support
center's staff on call then, whom notify alerts by mail and chat.

Like the SLA timers (:mod:`tickets.ticket.timers`): a worker claims the due visits with
``FOR UPDATE SKIP LOCKED`` and marks them in the transaction that emits the event, so any
number of replicas cooperate and none announces a visit twice. A visit that ended before
any worker saw it (the service was down throughout) is marked without an alert: nobody
can help with a visit that is over.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

import structlog
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from careplane_shared.events import Outbox
from tickets.oncall import service as oncall
from tickets.visits.models import Visit
from tickets.visits.rules import VisitStatus
from tickets.visits.service import visit_data

log = structlog.get_logger(__name__)


def _due() -> list[ColumnElement[bool]]:
    return [Visit.status == VisitStatus.CONFIRMED.value, Visit.started_event_at.is_(None)]


async def announce_started(session: AsyncSession, outbox: Outbox, *, batch: int = 20) -> int:
    """Announces the visits started by now (in the caller's transaction); returns how
    many it took."""
    now = datetime.now(UTC)
    visits = (
        await session.scalars(
            select(Visit)
            .where(*_due(), Visit.starts_at <= now)
            .order_by(Visit.starts_at)
            .limit(batch)
            .with_for_update(skip_locked=True)
        )
    ).all()
    for visit in visits:
        visit.started_event_at = now
        if visit.ends_at <= now:
            continue
        on_call, _ = await oncall.on_call(session, visit.support_center, visit.starts_at)
        await outbox.emit(
            session,
            "visit.started",
            visit_data(visit, on_call=on_call, visit_target_minutes=15),
            subject=str(visit.id),
        )
        log.info("visit_started", visit_id=str(visit.id), on_call=len(on_call))
    return len(visits)


async def seconds_to_next(session: AsyncSession) -> float | None:
    next_at = await session.scalar(select(func.min(Visit.starts_at)).where(*_due()))
    if next_at is None:
        return None
    return max((next_at - datetime.now(UTC)).total_seconds(), 0.0)


async def run_visit_worker(
    sessionmaker: async_sessionmaker[AsyncSession],
    outbox: Outbox,
    stop: asyncio.Event,
    *,
    poll_seconds: float = 5.0,
) -> None:
    """Sleeps until the next visit starts (at most ``poll_seconds``), announces what has
    started, repeats until stopped."""
    while not stop.is_set():
        wait = poll_seconds
        try:
            async with sessionmaker() as session, session.begin():
                if await announce_started(session, outbox):
                    continue
            async with sessionmaker() as session:
                upcoming = await seconds_to_next(session)
            if upcoming is not None:
                wait = min(wait, upcoming)
        except Exception:
            log.exception("visit_worker_error")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=max(wait, 0.01))
