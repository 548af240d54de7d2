"""Chat channels: connect a chat tool's incoming webhook, list, disconnect.

The webhook URL is a credential (whoever has it can post into the channel): it is stored
sealed (:mod:`notify.encryption`) and never shown again."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.errors import NotFound
from notify.encryption import SecretBox
from notify.models import ChatChannel
from notify.webhooks.ssrf import registered_url


class ChatChannelNotFound(NotFound):
    code = "CHAT_CHANNEL_NOT_FOUND"
    message = "No such chat channel."


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
) -> ChatChannel:
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
