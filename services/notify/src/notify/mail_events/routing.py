"""Routing of the mail listener's events (called with one line from :mod:`notify.routing`).

``mail.unknown_sender`` becomes one mail to the raw address that wrote to support (the
``unknown_sender`` template: this address is not registered; ask your organisation's
administrator for an invitation, or register through the portal; no case was opened). It
is essential (nobody has preferences to opt out with) and answers the stranger's own mail
(``In-Reply-To``) without repeating a word of it: the sender may be forged, and nobody may
use us to mail chosen words to any address (the subject stays in the delivery's payload,
for staff). Tickets sends it at most once per address a day and never for
automatic mail; only tickets may ask for it, and a raw address is a target for nothing else
(:mod:`notify.mail.case_mail`). ``mail.bounced`` is recorded on its delivery
(:mod:`notify.mail_events.bounces`). Neither goes to webhooks or chat: they are the mail
channel's own plumbing, and the first carries a stranger's address.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from email.utils import parseaddr
from typing import Any

import structlog
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.events import CloudEvent
from careplane_shared.events.wakeup import mark_written
from notify.config import NotifySettings
from notify.mail.case_mail import (
    BOUNCED_EVENT,
    RAW_ADDRESS_PREFIX,
    UNKNOWN_SENDER_EVENT,
    UNKNOWN_SENDER_TEMPLATE,
    message_id,
    plain_address,
    raw_address_allowed,
)
from notify.mail.compose import language_of, one_line
from notify.mail_events.bounces import record_bounce
from notify.models import deliveries_table

log = structlog.get_logger(__name__)

MAX_SUBJECT = 200


def vendor_name(settings: NotifySettings) -> str:
    """Whom the stranger wrote to: the display name of our From address."""
    name, address = parseaddr(settings.mail_from)
    return name or address


def unknown_sender_data(data: dict[str, Any], settings: NotifySettings) -> dict[str, Any] | None:
    """What the mail needs, checked; None when the event names no plain address."""
    address = plain_address(data.get("address"))
    if address is None:
        return None
    subject = data.get("subject")
    return {
        "address": address,
        "subject": one_line(subject, MAX_SUBJECT) if isinstance(subject, str) else None,
        "language": language_of(
            data.get("language") if isinstance(data.get("language"), str) else None
        ),
        "support_address": plain_address(data.get("support_address")),
        "inbound_message_id": message_id(data.get("inbound_message_id")),
        "vendor_name": vendor_name(settings),
    }


async def answer_unknown_sender(
    session: AsyncSession, event: CloudEvent, data: dict[str, Any], settings: NotifySettings
) -> int:
    mail = unknown_sender_data(data, settings)
    if not raw_address_allowed(event.type, event.source) or mail is None:
        log.warning("unknown_sender_refused", event_id=event.id, source=event.source)
        return 0
    inserted = await session.execute(
        insert(deliveries_table)
        .values(
            id=uuid.uuid4(),
            event_id=event.id,
            event_source=event.source,
            event_type=event.type,
            event_time=event.time or datetime.now(UTC),
            customer_id=None,
            channel="email",
            target=f"{RAW_ADDRESS_PREFIX}{mail['address'].lower()}",
            endpoint_id=None,
            payload={"template": UNKNOWN_SENDER_TEMPLATE, "urgent": False, "data": mail},
        )
        .on_conflict_do_nothing(index_elements=["event_id", "target"])
        .returning(deliveries_table.c.id)
    )
    count = len(inserted.all())
    if count:
        mark_written(session.info, deliveries_table)
    log.info("event_routed", event_id=event.id, type=event.type, deliveries=count)
    return count


async def route_mail_event(
    session: AsyncSession, event: CloudEvent, data: dict[str, Any], settings: NotifySettings
) -> int | None:
    """The deliveries written for a mail listener's event; None for any other event."""
    if event.type == UNKNOWN_SENDER_EVENT:
        return await answer_unknown_sender(session, event, data, settings)
    if event.type == BOUNCED_EVENT:
        return await record_bounce(session, event, data)
    return None
