"""The raw messages: stored as they arrived, then claimed by the intake worker.

A message is committed before its sender hears 250 (SMTP) or 202 (the webhook): once the
sender lets go of it, it is ours. The worker claims RECEIVED rows with a lease and
``FOR UPDATE SKIP LOCKED``, so replicas share the work and a crashed worker's rows come
back when its lease runs out."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from tickets.inbound.models import PENDING, InboundMessage


async def store(
    session: AsyncSession,
    raw: bytes,
    *,
    source: str,
    mail_from: str | None,
    rcpt_to: Sequence[str],
    received_at: datetime | None = None,
) -> InboundMessage:
    row = InboundMessage(
        id=uuid.uuid4(),
        received_at=received_at or datetime.now(UTC),
        source=source,
        mail_from=mail_from[:320] if mail_from is not None else None,
        rcpt_to=[address[:320].lower() for address in rcpt_to][:100],
        size=len(raw),
        raw=raw,
        status=PENDING,
        detail={},
        attempts=0,
    )
    session.add(row)
    await session.flush()
    return row


async def claim(
    session: AsyncSession, *, lease_seconds: int, batch: int = 10
) -> Sequence[InboundMessage]:
    """RECEIVED rows nobody holds, oldest first, leased to this worker (in the caller's
    transaction: commit it to keep the lease while processing)."""
    now = datetime.now(UTC)
    rows = (
        await session.scalars(
            select(InboundMessage)
            .where(
                InboundMessage.status == PENDING,
                or_(InboundMessage.locked_until.is_(None), InboundMessage.locked_until < now),
            )
            .order_by(InboundMessage.received_at)
            .limit(batch)
            .with_for_update(skip_locked=True)
        )
    ).all()
    for row in rows:
        row.locked_until = now + timedelta(seconds=lease_seconds)
        row.attempts += 1
    return rows


async def release(session: AsyncSession, held: Sequence[tuple[uuid.UUID, datetime]]) -> int:
    """Gives claimed rows nobody processed back at once (a stopping worker), their claim
    not counted as an attempt: only rows still RECEIVED under the lease this worker set
    (``(id, locked_until)`` as :func:`claim` left them). Returns how many."""
    if not held:
        return 0
    result = await session.execute(
        update(InboundMessage)
        .where(
            tuple_(InboundMessage.id, InboundMessage.locked_until).in_(held),
            InboundMessage.status == PENDING,
        )
        .values(locked_until=None, attempts=InboundMessage.attempts - 1)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
