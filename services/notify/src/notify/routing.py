"""From an accepted event to its deliveries, in the inbox's transaction.

Every event goes to each enabled webhook endpoint subscribed to its type (global ones, and a
customer's own when the event's ``data.customer_id`` is that customer), to each enabled chat
channel for its type (with the same customer rule), and to the mail recipients of
:func:`mail_routes`. ``(event_id, target)`` is unique, so an event handled twice can never
create a second delivery.
"""

from __future__ import annotations

import calendar
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

import structlog
from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.events import CloudEvent
from notify.config import NotifySettings
from notify.models import Announcement, ChatChannel, WebhookEndpoint, deliveries_table

log = structlog.get_logger(__name__)

ALL_TYPES = "*"
ANNOUNCED_MILESTONES = ("EOS", "EOMS", "EOL")
ANNOUNCEMENT_NOTICE_MONTHS = 6  # "no later than 6 months before the date" [003]


@dataclass(frozen=True, slots=True)
class MailRoute:
    target: str
    template: str
    urgent: bool = False


def mail_routes(event_type: str, data: dict[str, Any], settings: NotifySettings) -> list[MailRoute]:
    """Who gets a mail for an event, by rule (DOMAIN.md 4)."""
    contact = data.get("contact_id")
    requester = f"contact:{contact}" if contact else None
    if event_type == "ticket.opened" and requester:
        return [MailRoute(requester, "ticket_opened")]
    if event_type == "ticket.replied" and requester and data.get("author_kind") == "staff":
        return [MailRoute(requester, "ticket_replied")]
    if event_type == "ticket.status_changed" and requester:
        # NEW → OPEN happens as a case is accepted: the number mail already said so.
        if data.get("previous_status") in (None, "NEW"):
            return []
        return [MailRoute(requester, "ticket_status_changed")]
    if event_type in ("sla.warning", "sla.breached"):
        template = event_type.replace(".", "_")
        return [
            MailRoute(f"staff:{address}", template, urgent=event_type == "sla.breached")
            for address in settings.staff_addresses
        ]
    return []


def _customer_of(data: dict[str, Any]) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(data["customer_id"])) if data.get("customer_id") else None
    except ValueError:
        return None


def _subscribed(types_column: Any, event_type: str) -> Any:
    return or_(types_column.contains([event_type]), types_column.contains([ALL_TYPES]))


def _for_customer(customer_column: Any, customer_id: uuid.UUID | None) -> Any:
    if customer_id is None:
        return customer_column.is_(None)
    return or_(customer_column.is_(None), customer_column == customer_id)


async def route_event(session: AsyncSession, event: CloudEvent, settings: NotifySettings) -> int:
    """Writes the event's deliveries; returns how many were new."""
    data: dict[str, Any] = event.data if isinstance(event.data, dict) else {}
    customer_id = _customer_of(data)
    base = {
        "event_id": event.id,
        "event_source": event.source,
        "event_type": event.type,
        "event_time": event.time or datetime.now(UTC),
    }
    rows: list[dict[str, Any]] = []
    endpoints = await session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.customer_id).where(
            WebhookEndpoint.disabled_at.is_(None),
            _subscribed(WebhookEndpoint.event_types, event.type),
            _for_customer(WebhookEndpoint.customer_id, customer_id),
        )
    )
    # A delivery's customer_id is whose target it is (the customer's own endpoint, channel or
    # contact), so a customer's administrators never see deliveries to the vendor's targets.
    for endpoint_id, owner in endpoints:
        rows.append(
            {
                **base,
                "customer_id": owner,
                "id": uuid.uuid4(),
                "channel": "webhook",
                "target": f"webhook:{endpoint_id}",
                "endpoint_id": endpoint_id,
                "payload": {"data": data},
            }
        )
    channels = await session.execute(
        select(ChatChannel.id, ChatChannel.kind, ChatChannel.customer_id).where(
            ChatChannel.disabled_at.is_(None),
            _subscribed(ChatChannel.event_types, event.type),
            _for_customer(ChatChannel.customer_id, customer_id),
        )
    )
    for channel_id, kind, owner in channels:
        rows.append(
            {
                **base,
                "customer_id": owner,
                "id": uuid.uuid4(),
                "channel": kind,
                "target": f"{kind}:{channel_id}",
                "endpoint_id": channel_id,
                "payload": {"data": data},
            }
        )
    for route in mail_routes(event.type, data, settings):
        rows.append(
            {
                **base,
                "customer_id": customer_id if route.target.startswith("contact:") else None,
                "id": uuid.uuid4(),
                "channel": "email",
                "target": route.target,
                "endpoint_id": None,
                "payload": {"template": route.template, "urgent": route.urgent, "data": data},
            }
        )
    if event.type == "lifecycle.milestones_changed":
        await plan_announcements(session, event, data)
    if not rows:
        return 0
    inserted = await session.execute(
        insert(deliveries_table)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["event_id", "target"])
        .returning(deliveries_table.c.id)
    )
    count = len(inserted.all())
    log.info("event_routed", event_id=event.id, type=event.type, deliveries=count)
    return count


def months_before(day: date, months: int) -> date:
    """The same day of the month ``months`` earlier (the month's last day if it is shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def announce_at(milestone_date: date, today: date) -> datetime:
    """Six calendar months ahead of the milestone, or at once if that moment has passed."""
    planned_day = months_before(milestone_date, ANNOUNCEMENT_NOTICE_MONTHS)
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
                    a.status == "scheduled",
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
