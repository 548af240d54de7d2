"""Backlog gauges of the delivery queue, for the shared sampler (`sampled_metrics`)."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client import Gauge
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from notify.deliveries.service import FINISHED_BADLY
from notify.models import Delivery

FAILED_WINDOW = timedelta(days=7)
"""Failed and dead deliveries are counted over the ones created this recently: the rows are
kept for good, and the retry schedule gives up on a delivery about 3.2 days after it starts."""

PENDING = Gauge(
    "careplane_notify_deliveries_pending",
    "Deliveries waiting for an attempt or being attempted (pending, delivering).",
    ["service"],
)
OLDEST_DUE = Gauge(
    "careplane_notify_deliveries_oldest_due_seconds",
    "How long the longest-waiting due delivery has been due without an outcome (0 when none).",
    ["service"],
)
FAILED = Gauge(
    "careplane_notify_deliveries_failed",
    "Deliveries that ended failed (permanent error) or dead (retries used up), created in "
    "the last 7 days.",
    ["service", "status"],
)

# Written out as ix_deliveries_due's own predicate (not as bound values), so that the
# planner can always prove that the partial index of queued rows covers the statement.
_QUEUED = text("deliveries.status IN ('pending', 'delivering')")
_BACKLOG = select(
    func.count(), func.extract("epoch", func.now() - func.min(Delivery.next_attempt_at))
).where(_QUEUED)
# Over ix_deliveries_status_created.
_FAILED = (
    select(Delivery.status, func.count())
    .where(
        Delivery.status.in_(FINISHED_BADLY),
        Delivery.created_at >= func.now() - FAILED_WINDOW,
    )
    .group_by(Delivery.status)
)


async def delivery_backlog_probe(session: AsyncSession, service: str) -> None:
    """Queued deliveries and how overdue the oldest is (a retry waiting for its time is not
    overdue), and the recent failed and dead ones by status."""
    count, overdue = (await session.execute(_BACKLOG)).one()
    PENDING.labels(service).set(count)
    OLDEST_DUE.labels(service).set(max(float(overdue or 0), 0.0))
    failed = {status: count for status, count in (await session.execute(_FAILED)).all()}
    for status in FINISHED_BADLY:
        FAILED.labels(service, status).set(failed.get(status, 0))
