"""Chat channels: staff connect a chat tool's incoming webhook to event types."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from careplane_shared.auth import StaffPrincipal
from careplane_shared.db import DbSession
from careplane_shared.pagination import Page, PageParamsDep
from notify.chat import service
from notify.deps import SettingsDep
from notify.webhooks.schemas import EventType

router = APIRouter(prefix="/v1/chat-channels", tags=["chat"])

ChatKind = Literal["slack", "teams", "mattermost", "discord", "google_chat"]


class ChatChannelCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ChatKind
    name: str = Field(min_length=1, max_length=200)
    webhook_url: str = Field(min_length=8, max_length=2000)
    event_types: list[EventType] = Field(min_length=1, max_length=100)
    customer_id: uuid.UUID | None = Field(
        default=None, description="Only this customer's events; none for every customer."
    )


class ChatChannelRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: ChatKind
    name: str
    event_types: list[str]
    customer_id: uuid.UUID | None
    disabled_at: datetime | None
    disabled_reason: str | None
    created_at: datetime


@router.post(
    "", response_model=ChatChannelRead, status_code=status.HTTP_201_CREATED, summary="Connect."
)
async def create_channel(
    body: ChatChannelCreate, session: DbSession, _: StaffPrincipal, settings: SettingsDep
) -> ChatChannelRead:
    """Connects a chat tool's incoming webhook (Slack, Teams Workflows, Mattermost, Discord,
    Google Chat). The URL is a secret of its own: stored encrypted and never shown again."""
    channel = await service.create(
        session,
        kind=body.kind,
        name=body.name,
        webhook_url=body.webhook_url,
        event_types=list(body.event_types),
        customer_id=body.customer_id,
        allow_private=settings.allow_private_targets,
        box=settings.secret_box(),
        max_per_customer=settings.max_chat_channels_per_customer,
    )
    return ChatChannelRead.model_validate(channel)


@router.get("", response_model=Page[ChatChannelRead], summary="List chat channels.")
async def list_channels(
    session: DbSession, _: StaffPrincipal, page: PageParamsDep
) -> Page[ChatChannelRead]:
    """Every connected chat channel (without its URL)."""
    rows, total = await service.list_channels(session, limit=page.limit, offset=page.offset)
    return page.of([ChatChannelRead.model_validate(r) for r in rows], total)


@router.delete(
    "/{channel_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Disconnect a chat channel."
)
async def delete_channel(channel_id: uuid.UUID, session: DbSession, _: StaffPrincipal) -> None:
    """Its deliveries stay on record."""
    await service.delete(session, channel_id)
