"""``mail.bounced``: a delivery status notification for a mail notify sent, recorded on
the delivery it names (tickets found it by the VERP envelope sender, :mod:`notify.mail.verp`).

The delivery keeps the latest bounce (``bounced_at``, ``bounce_status``, ``bounce_action``,
``bounce_diagnostic``, ``bounce_recipient``), shown in the delivery listings. A permanent
bounce (a 5.x.x status, or the action ``failed``) turns a succeeded delivery into
``bounced``: the server took the mail, but it never reached anyone. A delayed notice is
recorded without changing the status, and never overwrites a permanent one.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import case, update
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.events import CloudEvent
from notify.mail.compose import one_line
from notify.models import deliveries_table

log = structlog.get_logger(__name__)

BOUNCE_SOURCE = "tickets"
BOUNCED = "bounced"
_STATUS = re.compile(r"[245]\.\d{1,3}\.\d{1,3}")
MAX_DIAGNOSTIC = 1000


def bounce_status(value: object) -> str | None:
    """An RFC 3463 status code (``5.1.1``), or None when it is not one."""
    return value if isinstance(value, str) and _STATUS.fullmatch(value) else None


def is_permanent(status: str | None, action: str | None) -> bool:
    """RFC 3464: the action ``failed``, or a permanent (5.x.x) status."""
    return action == "failed" or (status is not None and status.startswith("5."))


def _text(value: object, limit: int) -> str | None:
    return one_line(value, limit) if isinstance(value, str) and value.strip() else None


async def record_bounce(session: AsyncSession, event: CloudEvent, data: dict[str, Any]) -> int:
    """Records the bounce on its delivery; no delivery is written (returns 0). A bounce
    naming no email delivery of ours is logged and dropped: there is nothing to mark."""
    try:
        delivery_id = uuid.UUID(str(data.get("delivery_id")))
    except ValueError:
        delivery_id = None
    if event.source != BOUNCE_SOURCE or delivery_id is None:
        log.warning("bounce_unreadable", event_id=event.id, source=event.source)
        return 0
    status = bounce_status(data.get("status"))
    action = _text(data.get("action"), 32)
    permanent = is_permanent(status, action)
    d = deliveries_table
    statement = update(d).where(d.c.id == delivery_id, d.c.channel == "email")
    if permanent:
        # The server took the mail, but it reached nobody.
        status_now: Any = case((d.c.status == "succeeded", BOUNCED), else_=d.c.status)
    else:
        statement = statement.where(d.c.status != BOUNCED)
        status_now = d.c.status
    result = await session.execute(
        statement.values(
            bounced_at=event.time or datetime.now(UTC),
            bounce_status=status,
            bounce_action=action,
            bounce_diagnostic=_text(data.get("diagnostic"), MAX_DIAGNOSTIC),
            bounce_recipient=_text(data.get("recipient"), 300),
            status=status_now,
            updated_at=datetime.now(UTC),
        ).returning(d.c.id)
    )
    log.info(
        "bounce_recorded",
        event_id=event.id,
        delivery_id=str(delivery_id),
        permanent=permanent,
        found=bool(result.all()),
    )
    return 0
