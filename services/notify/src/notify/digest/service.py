"""Holding non-urgent staff mail and sending what was held as one digest per address.

Routing holds a mail (a ``digest_items`` row with its release time) instead of writing its
delivery; the worker step :func:`flush_due` gathers every held item whose time has come,
``FOR UPDATE SKIP LOCKED``, and writes one digest delivery per address in the same
transaction, so an item is in exactly one digest and a digest is never lost (it is an
ordinary delivery from then on: retried, recorded, resendable).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from notify.config import NotifySettings
from notify.digest.policy import DigestPolicy, in_quiet_hours
from notify.digest.schemas import DigestSettingsRead, DigestSettingsUpdate
from notify.mail.compose import mail_context, render
from notify.models import DigestItem, StaffDigestSettings, deliveries_table

log = structlog.get_logger(__name__)

DIGEST_TEMPLATE = "staff_digest"
DIGEST_EVENT_TYPE = "staff.digest"


def default_policy(settings: NotifySettings) -> DigestPolicy:
    return DigestPolicy(
        timezone=settings.staff_timezone,
        quiet_start=settings.staff_quiet_start,
        quiet_end=settings.staff_quiet_end,
        digest_minutes=settings.staff_digest_minutes,
    )


async def load_policy(session: AsyncSession, settings: NotifySettings) -> DigestPolicy:
    """The stored settings, or the configured defaults when nobody changed them."""
    row = await session.get(StaffDigestSettings, 1)
    if row is None:
        return default_policy(settings)
    return DigestPolicy(
        timezone=row.timezone,
        quiet_start=row.quiet_start,
        quiet_end=row.quiet_end,
        digest_minutes=row.digest_minutes,
    )


async def hold(
    session: AsyncSession,
    *,
    address: str,
    template: str,
    event_id: str,
    event_type: str,
    event_time: datetime,
    data: dict[str, Any],
    release_at: datetime,
) -> None:
    await session.execute(
        pg_insert(DigestItem)
        .values(
            id=uuid.uuid4(),
            address=address,
            event_id=event_id,
            event_type=event_type,
            event_time=event_time,
            template=template,
            data=data,
            release_at=release_at,
        )
        .on_conflict_do_nothing(index_elements=["event_id", "address"])
    )


def digest_line(item: DigestItem, portal_url: str) -> dict[str, Any]:
    """One held mail as a digest line: its own subject, its time and its link."""
    context = mail_context(item.data, portal_url, None)
    return {
        "event_type": item.event_type,
        "event_time": item.event_time.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "subject": render(item.template, "en", context).subject,
        "url": context["ticket_url"],
    }


async def flush_due(
    session: AsyncSession, settings: NotifySettings, now: datetime | None = None
) -> int:
    """Writes one digest delivery per address for the held items due at ``now``; returns
    how many digests it wrote."""
    now = now or datetime.now(UTC)
    items = (
        await session.scalars(
            select(DigestItem)
            .where(DigestItem.delivery_id.is_(None), DigestItem.release_at <= now)
            .order_by(DigestItem.event_time, DigestItem.id)
            .with_for_update(skip_locked=True)
        )
    ).all()
    by_address: dict[str, list[DigestItem]] = defaultdict(list)
    for item in items:
        by_address[item.address].append(item)
    for address, held in sorted(by_address.items()):
        delivery_id = uuid.uuid4()
        await session.execute(
            insert(deliveries_table).values(
                id=delivery_id,
                channel="email",
                target=f"staff:{address}",
                customer_id=None,
                endpoint_id=None,
                event_id=f"digest:{delivery_id}",
                event_source="notify",
                event_type=DIGEST_EVENT_TYPE,
                event_time=now,
                payload={
                    "template": DIGEST_TEMPLATE,
                    "data": {
                        "items": [digest_line(i, settings.portal_url) for i in held],
                        "held_since": held[0]
                        .event_time.astimezone(UTC)
                        .strftime("%Y-%m-%d %H:%M UTC"),
                    },
                },
            )
        )
        await session.execute(
            update(DigestItem)
            .where(DigestItem.id.in_([i.id for i in held]))
            .values(delivery_id=delivery_id)
        )
    if by_address:
        log.info("digests_written", digests=len(by_address), items=len(items))
    return len(by_address)


async def read_settings(session: AsyncSession, settings: NotifySettings) -> DigestSettingsRead:
    """The policy in force, whether it is quiet now, and what is held until when."""
    policy = await load_policy(session, settings)
    row = await session.get(StaffDigestSettings, 1, populate_existing=True)
    held, next_release = (
        await session.execute(
            select(func.count(), func.min(DigestItem.release_at)).where(
                DigestItem.delivery_id.is_(None)
            )
        )
    ).one()
    return DigestSettingsRead(
        timezone=policy.timezone,
        quiet_start=policy.quiet_start,
        quiet_end=policy.quiet_end,
        digest_minutes=policy.digest_minutes,
        in_quiet_hours=in_quiet_hours(policy, datetime.now(UTC)),
        held=held,
        next_release_at=next_release,
        updated_by=row.updated_by if row else None,
        updated_at=row.updated_at if row else None,
    )


async def update_settings(
    session: AsyncSession,
    settings: NotifySettings,
    body: DigestSettingsUpdate,
    *,
    updated_by: str,
) -> DigestSettingsRead:
    """Stores the policy (for staff mail arriving from now on) and reads it back."""
    statement = pg_insert(StaffDigestSettings).values(
        id=1, **body.model_dump(), updated_by=updated_by
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["id"],
            set_={
                **{name: statement.excluded[name] for name in DigestSettingsUpdate.model_fields},
                "updated_by": statement.excluded.updated_by,
                "updated_at": func.now(),
            },
        )
    )
    return await read_settings(session, settings)
