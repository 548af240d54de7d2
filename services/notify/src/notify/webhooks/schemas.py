from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

EventType = Annotated[
    str, StringConstraints(pattern=r"^(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+)$", max_length=200)
]


class WebhookEndpointCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=8, max_length=2000, examples=["https://crm.example.com/hooks"])
    event_types: list[EventType] = Field(
        min_length=1,
        max_length=100,
        description='Dotted event types, e.g. "ticket.opened"; "*" for every type.',
        examples=[["ticket.opened", "ticket.closed"]],
    )
    description: str | None = Field(default=None, max_length=500)
    customer_id: uuid.UUID | None = Field(
        default=None,
        description="Whose events it receives; none for every customer (staff only). "
        "A customer's own administrators and keys always register for their customer.",
    )


class WebhookEndpointUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, min_length=8, max_length=2000)
    event_types: list[EventType] | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=500)
    enabled: bool | None = Field(default=None, description="true re-enables a disabled endpoint.")


class WebhookEndpointRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    customer_id: uuid.UUID | None
    url: str
    description: str | None
    event_types: list[str]
    enabled: bool
    disabled_at: datetime | None
    disabled_reason: str | None
    failing_since: datetime | None
    previous_secret_expires_at: datetime | None = Field(
        description="While set and in the future, deliveries carry two signatures."
    )
    created_by: str
    created_at: datetime
    updated_at: datetime


class WebhookEndpointWithSecret(WebhookEndpointRead):
    secret: str = Field(description="whsec_…: shown only in this answer; store it now.")
