"""Maintenance windows: announced at once to the affected customers with an .ics file, and
withdrawn with a METHOD:CANCEL one (same UID, SEQUENCE + 1) to the same addresses.

The affected customers are read from contracts while the request's transaction is open but
before anything is written, so a contracts failure is a 503 the caller sees and retries,
never a half-announced window; the mails themselves are ordinary deliveries.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from careplane_shared.auth import Principal
from careplane_shared.events import CloudEvent
from notify.access import Scope
from notify.audience import Addressee, Addressing, addressees
from notify.clients.contracts import ContractsClient, ContractsUnavailable
from notify.config import NotifySettings
from notify.maintenance.exceptions import (
    AlreadyCancelled,
    AudienceUnavailable,
    MaintenanceWindowNotFound,
    UnknownCustomers,
)
from notify.maintenance.ics import CalendarEvent, calendar
from notify.maintenance.schemas import (
    MaintenanceRecipientRead,
    MaintenanceWindowCreate,
    MaintenanceWindowDetail,
    MaintenanceWindowRead,
)
from notify.models import Delivery, MaintenanceRecipient, MaintenanceWindow, deliveries_table
from notify.routing import route_event
from notify.rows import read_as

SOURCE = "notify"


def local_time(moment: datetime, timezone: str) -> str:
    """``2026-12-01 22:00 CET``: a time as the customer reads it."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = moment.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def _calendar_event(window: MaintenanceWindow, settings: NotifySettings) -> CalendarEvent:
    label = "Unscheduled maintenance" if window.kind == "unscheduled" else "Maintenance"
    return CalendarEvent(
        uid=window.uid,
        sequence=window.sequence,
        stamped_at=window.stamped_at,
        starts_at=window.starts_at,
        ends_at=window.ends_at,
        summary=f"{label}: {window.title}",
        description=window.description,
        organizer=settings.mail_from,
        cancelled=window.status == "cancelled",
    )


def _mail_data(window: MaintenanceWindow, addressee_name: str, timezone: str) -> dict[str, Any]:
    return {
        "window_id": str(window.id),
        "title": window.title,
        "description": window.description,
        "kind": window.kind,
        "starts_at": window.starts_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "ends_at": window.ends_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "starts_local": local_time(window.starts_at, timezone),
        "ends_local": local_time(window.ends_at, timezone),
        "timezone": timezone,
        "cancel_reason": window.cancel_reason,
        "customer_name": addressee_name,
    }


def notice_message_id(window_id: uuid.UUID, customer_id: uuid.UUID, domain: str) -> str:
    """The first notice's Message-ID for one customer; the cancellation replies to it."""
    return f"<maintenance.{window_id}.{customer_id}@{domain}>"


def _delivery(
    window: MaintenanceWindow,
    *,
    customer_id: uuid.UUID,
    template: str,
    event_type: str,
    payload: dict[str, Any],
) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "channel": "email",
        "target": f"customer:{customer_id}",
        "endpoint_id": None,
        "customer_id": customer_id,
        "event_id": f"maintenance:{window.id}:{window.sequence}",
        "event_source": SOURCE,
        "event_type": event_type,
        "event_time": window.stamped_at,
        "payload": {"template": template, **payload},
    }


async def _announce_to_integrations(
    session: AsyncSession, window: MaintenanceWindow, event_type: str, settings: NotifySettings
) -> None:
    """Webhook endpoints and chat channels subscribed to maintenance.* hear of it too."""
    event = CloudEvent(
        id=f"maintenance:{window.id}:{window.sequence}",
        source=SOURCE,
        type=event_type,
        time=window.stamped_at,
        data={
            "window_id": str(window.id),
            "title": window.title,
            "kind": window.kind,
            "status": window.status,
            "starts_at": window.starts_at.isoformat(),
            "ends_at": window.ends_at.isoformat(),
            "product_id": str(window.product_id) if window.product_id else None,
        },
    )
    await route_event(session, event, settings)


async def _affected(contracts: ContractsClient, body: MaintenanceWindowCreate) -> list[Addressee]:
    try:
        audience = await addressees(
            contracts,
            product_id=body.product_id,
            customer_ids=body.customer_ids,
            addressing=Addressing.REGISTERED,
        )
    except ContractsUnavailable as exc:
        raise AudienceUnavailable() from exc
    if body.customer_ids is not None:
        unknown = {str(c) for c in body.customer_ids} - {str(a.customer_id) for a in audience}
        if unknown:
            raise UnknownCustomers(unknown)
    return audience


async def create_window(
    session: AsyncSession,
    principal: Principal,
    body: MaintenanceWindowCreate,
    *,
    contracts: ContractsClient,
    settings: NotifySettings,
) -> MaintenanceWindow:
    audience = await _affected(contracts, body)
    window_id = uuid.uuid4()
    window = MaintenanceWindow(
        id=window_id,
        uid=f"maintenance-{window_id}@{settings.mail_domain}",
        sequence=0,
        kind=body.kind,
        title=body.title,
        description=body.description,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        product_id=body.product_id,
        customer_ids=body.customer_ids,
        status="scheduled",
        stamped_at=datetime.now(UTC),
        created_by=principal.email or principal.subject,
    )
    session.add(window)
    await session.flush()
    ics = calendar(_calendar_event(window, settings))
    deliveries: list[dict[str, Any]] = []
    recipients: list[dict[str, Any]] = []
    for addressee in audience:
        delivery = None
        if addressee.addresses:
            delivery = _delivery(
                window,
                customer_id=addressee.customer_id,
                template="maintenance_notice",
                event_type="maintenance.scheduled",
                payload={
                    "to": addressee.addresses,
                    "name": addressee.name,
                    "language": addressee.language,
                    "message_id": notice_message_id(
                        window.id, addressee.customer_id, settings.mail_domain
                    ),
                    "calendar": {"ics": ics, "method": "PUBLISH", "filename": "maintenance.ics"},
                    "data": _mail_data(window, addressee.name, addressee.timezone),
                },
            )
            deliveries.append(delivery)
        recipients.append(
            {
                "id": uuid.uuid4(),
                "window_id": window.id,
                "customer_id": addressee.customer_id,
                "customer_name": addressee.name,
                "language": addressee.language,
                "timezone": addressee.timezone,
                "to_addresses": addressee.addresses,
                "delivery_id": delivery["id"] if delivery else None,
            }
        )
    if deliveries:
        await session.execute(insert(deliveries_table), deliveries)
    if recipients:
        await session.execute(insert(MaintenanceRecipient), recipients)
    await _announce_to_integrations(session, window, "maintenance.scheduled", settings)
    return window


async def cancel_window(
    session: AsyncSession,
    principal: Principal,
    scope: Scope,
    window_id: uuid.UUID,
    *,
    reason: str | None,
    settings: NotifySettings,
) -> MaintenanceWindow:
    """Tells everyone who got the notice, with METHOD:CANCEL, the same UID, SEQUENCE + 1."""
    window = await session.scalar(
        select(MaintenanceWindow).where(MaintenanceWindow.id == window_id).with_for_update()
    )
    if window is None or not scope.everyone:
        raise MaintenanceWindowNotFound()
    if window.status == "cancelled":
        raise AlreadyCancelled()
    window.status = "cancelled"
    window.sequence += 1
    window.stamped_at = datetime.now(UTC)
    window.cancelled_at = window.stamped_at
    window.cancelled_by = principal.email or principal.subject
    window.cancel_reason = reason
    await session.flush()
    ics = calendar(_calendar_event(window, settings))
    recipients = (
        await session.scalars(
            select(MaintenanceRecipient).where(
                MaintenanceRecipient.window_id == window.id,
                MaintenanceRecipient.delivery_id.is_not(None),
            )
        )
    ).all()
    for recipient in recipients:
        delivery = _delivery(
            window,
            customer_id=recipient.customer_id,
            template="maintenance_cancelled",
            event_type="maintenance.cancelled",
            payload={
                # The same addresses as the notice: whoever put it in a calendar removes it.
                "to": recipient.to_addresses,
                "name": recipient.customer_name,
                "language": recipient.language,
                "message_id": f"<{uuid.uuid4()}@{settings.mail_domain}>",
                "in_reply_to": notice_message_id(
                    window.id, recipient.customer_id, settings.mail_domain
                ),
                "calendar": {"ics": ics, "method": "CANCEL", "filename": "maintenance.ics"},
                "data": _mail_data(window, recipient.customer_name, recipient.timezone),
            },
        )
        await session.execute(insert(deliveries_table).values(**delivery))
        recipient.cancel_delivery_id = delivery["id"]
    await session.flush()
    await _announce_to_integrations(session, window, "maintenance.cancelled", settings)
    return window


async def list_windows(
    session: AsyncSession,
    scope: Scope,
    *,
    status: str | None,
    kind: str | None,
    ending_after: datetime | None,
    limit: int,
    offset: int,
) -> tuple[list[MaintenanceWindowRead], int]:
    w, r = MaintenanceWindow, MaintenanceRecipient
    counts = select(r.window_id, func.count().label("customers")).group_by(r.window_id)
    if not scope.everyone:
        counts = counts.where(r.customer_id == scope.customer_id)
    sub = counts.subquery()
    query = select(w, func.coalesce(sub.c.customers, 0)).outerjoin(sub, sub.c.window_id == w.id)
    if not scope.everyone:
        query = query.where(sub.c.customers > 0)
    if status is not None:
        query = query.where(w.status == status)
    if kind is not None:
        query = query.where(w.kind == kind)
    if ending_after is not None:
        query = query.where(w.ends_at > ending_after)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = await session.execute(
        query.order_by(w.starts_at.desc(), w.id).limit(limit).offset(offset)
    )
    return [_as_seen(window, scope, customers) for window, customers in rows], total


def _as_seen(window: MaintenanceWindow, scope: Scope, customers: int) -> MaintenanceWindowRead:
    """A customer sees itself alone among those told: which other customers a window was
    for is none of its business (nor how many they were)."""
    if scope.everyone:
        return read_as(MaintenanceWindowRead, window, customers=customers)
    asked = None if window.customer_ids is None else [scope.customer_id]
    return read_as(MaintenanceWindowRead, window, customers=customers, customer_ids=asked)


async def get_window(
    session: AsyncSession, scope: Scope, window_id: uuid.UUID
) -> MaintenanceWindowDetail:
    window = await session.get(MaintenanceWindow, window_id)
    if window is None:
        raise MaintenanceWindowNotFound()
    r = MaintenanceRecipient
    notice, cancel = aliased(Delivery), aliased(Delivery)
    query = (
        select(r, notice.status, notice.delivered_at, cancel.status, cancel.delivered_at)
        .outerjoin(notice, notice.id == r.delivery_id)
        .outerjoin(cancel, cancel.id == r.cancel_delivery_id)
        .where(r.window_id == window.id)
        .order_by(r.customer_name, r.customer_id)
    )
    if not scope.everyone:
        query = query.where(r.customer_id == scope.customer_id)
    recipients = [
        MaintenanceRecipientRead(
            customer_id=row.customer_id,
            customer_name=row.customer_name,
            language=row.language,
            timezone=row.timezone,
            to_addresses=row.to_addresses,
            delivery_id=row.delivery_id,
            delivery_status=notice_status,
            sent_at=notice_sent,
            cancel_delivery_id=row.cancel_delivery_id,
            cancel_delivery_status=cancel_status,
            cancel_sent_at=cancel_sent,
        )
        for row, notice_status, notice_sent, cancel_status, cancel_sent in await session.execute(
            query
        )
    ]
    if not scope.everyone and not recipients:
        raise MaintenanceWindowNotFound()
    read = _as_seen(window, scope, len(recipients))
    return MaintenanceWindowDetail(**read.model_dump(), recipients=recipients)
