"""Planning lifecycle announcements: a ``lifecycle.milestones_changed`` event from contracts
schedules one announcement per changed EOS/EOMS/EOL date, six calendar months ahead of it
(the sender, :mod:`notify.announcements.sender`, fans each out when its time comes)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from typing import Any

import structlog
from sqlalchemy import and_, update
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.dates import add_months
from careplane_shared.events import CloudEvent
from notify.models import Announcement

log = structlog.get_logger(__name__)

ANNOUNCED_MILESTONES = ("EOS", "EOMS", "EOL")
ANNOUNCEMENT_NOTICE_MONTHS = 6  # "no later than 6 months before the date" [003]


def announce_at(milestone_date: date, today: date) -> datetime:
    """Six calendar months ahead of the milestone, or at once if that moment has passed."""
    planned_day = add_months(milestone_date, -ANNOUNCEMENT_NOTICE_MONTHS)
    planned = datetime.combine(planned_day, time(9, 0), tzinfo=UTC)
    now = datetime.now(UTC)
    return planned if planned.date() > today else now


async def plan_announcements(session: AsyncSession, event: CloudEvent, data: dict[str, Any]) -> int:
    """Schedules one announcement per changed EOS/EOMS/EOL date; a date that moved supersedes
    the announcement still planned for it. Past dates are history: nothing to announce."""
    try:
        product_id = uuid.UUID(str(data["product_id"]))
        major = int(data["major"])
    except (KeyError, TypeError, ValueError):
        log.warning("lifecycle_event_unreadable", event_id=event.id)
        return 0
    before = data.get("before") or {}
    after = data.get("after") or {}
    today = datetime.now(UTC).date()
    planned = 0
    for milestone in ANNOUNCED_MILESTONES:
        new = after.get(milestone)
        old = before.get(milestone)
        if new == old:
            continue
        a = Announcement
        await session.execute(
            update(a)
            .where(
                and_(
                    a.product_id == product_id,
                    a.major == major,
                    a.milestone == milestone,
                    # A claimed fan-out not yet committed is stopped too (see the sender).
                    a.status.in_(("scheduled", "sending")),
                )
            )
            .values(status="superseded")
        )
        if not new:
            continue
        milestone_date = date.fromisoformat(new)
        if milestone_date < today:
            continue
        session.add(
            Announcement(
                product_id=product_id,
                product_name=str(data.get("product_name") or ""),
                major=major,
                milestone=milestone,
                milestone_date=milestone_date,
                previous_date=date.fromisoformat(old) if old else None,
                announce_at=announce_at(milestone_date, today),
                event_id=event.id,
            )
        )
        planned += 1
    await session.flush()
    return planned
