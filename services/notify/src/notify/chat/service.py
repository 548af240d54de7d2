"""Chat channels: connect a chat tool's incoming webhook, list, disconnect.

The webhook URL is a credential (whoever has it can post into the channel): it is stored
sealed (:mod:`notify.encryption`) and never shown again."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from notify.chat.exceptions import ChatChannelLimitReached, ChatChannelNotFound
from notify.encryption import SecretBox
from notify.models import ChatChannel
from notify.webhooks.ssrf import registered_url


async def ensure_room(session: AsyncSession, customer_id: uuid.UUID, limit: int) -> None:
    """ChatChannelLimitReached when the customer already has ``limit`` channels, counted
    under a lock per customer held to the end of the transaction."""
    await session.execute(
        select(func.pg_advisory_xact_lock(func.hashtext(f"notify.chat_channels:{customer_id}")))
    )
    count = await session.scalar(
        select(func.count()).select_from(ChatChannel).where(ChatChannel.customer_id == customer_id)
    )
    if (count or 0) >= limit:
        raise ChatChannelLimitReached(details={"limit": limit})


async def create(
    session: AsyncSession,
    *,
    kind: str,
    name: str,
    webhook_url: str,
    event_types: list[str],
    customer_id: uuid.UUID | None,
    allow_private: bool,
    box: SecretBox,
    max_per_customer: int,
) -> ChatChannel:
    """A customer has at most ``max_per_customer`` channels (global ones are not counted)."""
    if customer_id is not None:
        await ensure_room(session, customer_id, max_per_customer)
    channel = ChatChannel(
        id=uuid.uuid4(),
        kind=kind,
        name=name,
        webhook_url=box.seal(registered_url(webhook_url, allow_private=allow_private)),
        event_types=sorted(set(event_types)),
        customer_id=customer_id,
    )
    session.add(channel)
    await session.flush()
    await session.refresh(channel)
    return channel


async def list_channels(
    session: AsyncSession, *, limit: int, offset: int
) -> tuple[list[ChatChannel], int]:
    total = await session.scalar(select(func.count()).select_from(ChatChannel))
    rows = await session.scalars(
        select(ChatChannel)
        .order_by(ChatChannel.created_at, ChatChannel.id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total or 0


async def delete(session: AsyncSession, channel_id: uuid.UUID) -> None:
    """Its deliveries stay on record."""
    channel = await session.get(ChatChannel, channel_id)
    if channel is None:
        raise ChatChannelNotFound()
    await session.delete(channel)
    await session.flush()
