from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

DeliveryStatus = Literal["pending", "delivering", "succeeded", "failed", "dead", "bounced"]
ChannelKind = Literal["email", "webhook", "slack", "teams", "mattermost", "discord", "google_chat"]


class DeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    channel: ChannelKind
    target: str
    endpoint_id: uuid.UUID | None
    customer_id: uuid.UUID | None
    event_id: str = Field(description="Also the webhook-id header of a webhook delivery.")
    event_source: str
    event_type: str
    event_time: datetime
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    bounced_at: datetime | None = Field(
        default=None, description="A mail's latest bounce: when it was reported."
    )
    bounce_status: str | None = Field(default=None, description='Its status code, e.g. "5.1.1".')
    bounce_action: str | None = Field(default=None, description="failed, delayed, ...")
    bounce_diagnostic: str | None = Field(default=None, description="The receiver's words.")
    bounce_recipient: str | None = Field(default=None, description="The address that bounced.")
    created_at: datetime
    updated_at: datetime


class AttemptRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    attempt: int
    worker: str
    started_at: datetime
    duration_ms: int
    outcome: str = Field(description="succeeded, retry, failed, dead or lease_expired.")
    status_code: int | None
    response_excerpt: str | None
    error: str | None
    retry_at: datetime | None


class DeliveryDetail(DeliveryRead):
    payload: dict[str, Any]
    attempt_log: list[AttemptRead]


class RecoverRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    since: datetime = Field(description="Failed and dead deliveries created at or after this.")
    until: datetime | None = None
    endpoint_id: uuid.UUID | None = None
    channel: ChannelKind | None = None


class RecoverResult(BaseModel):
    requeued: int
