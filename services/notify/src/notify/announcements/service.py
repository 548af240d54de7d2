"""Reading announcements and their proof of sending."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from notify.access import Scope
from notify.announcements.exceptions import AnnouncementNotFound
from notify.announcements.schemas import AnnouncementDetail, AnnouncementRead, RecipientRead
from notify.models import Announcement, AnnouncementRecipient, Delivery, MailMessage
from notify.rows import read_as


def _recipients_count() -> Any:
    r = AnnouncementRecipient
    return select(r.announcement_id, func.count().label("customers")).group_by(r.announcement_id)


async def list_announcements(
    session: AsyncSession,
    scope: Scope,
    *,
    status: str | None,
    product_id: uuid.UUID | None,
    milestone: str | None,
    limit: int,
    offset: int,
) -> tuple[list[AnnouncementRead], int]:
    a, r = Announcement, AnnouncementRecipient
    counts = _recipients_count()
    if not scope.everyone:
        counts = counts.where(r.customer_id == scope.customer_id)
    counts = counts.subquery()
    query = select(a, func.coalesce(counts.c.customers, 0)).outerjoin(
        counts, counts.c.announcement_id == a.id
    )
    if not scope.everyone:
        # A customer sees what it was sent, never what is planned or went to others.
        query = query.where(counts.c.customers > 0)
    if status is not None:
        query = query.where(a.status == status)
    if product_id is not None:
        query = query.where(a.product_id == product_id)
    if milestone is not None:
        query = query.where(a.milestone == milestone)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = await session.execute(
        query.order_by(a.announce_at.desc(), a.id).limit(limit).offset(offset)
    )
    return [read_as(AnnouncementRead, row, customers=customers) for row, customers in rows], total


async def get_announcement(
    session: AsyncSession, scope: Scope, announcement_id: uuid.UUID
) -> AnnouncementDetail:
    announcement = await session.get(Announcement, announcement_id)
    if announcement is None:
        raise AnnouncementNotFound()
    r, d, m = AnnouncementRecipient, Delivery, MailMessage
    query = (
        select(r, d.status, d.delivered_at, m.message_id, m.subject)
        .outerjoin(d, d.id == r.delivery_id)
        .outerjoin(m, m.delivery_id == r.delivery_id)
        .where(r.announcement_id == announcement.id)
        .order_by(r.customer_name, r.customer_id)
    )
    if not scope.everyone:
        query = query.where(r.customer_id == scope.customer_id)
    recipients = [
        RecipientRead(
            customer_id=recipient.customer_id,
            customer_name=recipient.customer_name,
            language=recipient.language,
            to_addresses=recipient.to_addresses,
            delivery_id=recipient.delivery_id,
            delivery_status=status,
            sent_at=delivered_at,
            message_id=message_id,
            subject=subject,
        )
        for recipient, status, delivered_at, message_id, subject in await session.execute(query)
    ]
    if not scope.everyone and not recipients:
        raise AnnouncementNotFound()
    read = read_as(AnnouncementRead, announcement, customers=len(recipients))
    return AnnouncementDetail(**read.model_dump(), recipients=recipients)
