from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tickets.ticket.rules import Channel, Status, TicketType


class TicketOpen(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contact_id: uuid.UUID | None = Field(
        default=None, description="The requester; a contact opening its own case may leave it out."
    )
    product_id: uuid.UUID
    version: str = Field(min_length=1, max_length=50, examples=["3.1"])
    subject: str = Field(min_length=1, max_length=300)
    description: str = Field(min_length=1, max_length=100_000)
    error_code: str | None = Field(default=None, max_length=200)
    error_message: str | None = Field(default=None, max_length=20_000)
    steps_to_reproduce: str | None = Field(default=None, max_length=20_000)
    type: TicketType = TicketType.QUESTION
    priority: str | None = Field(
        default=None, max_length=30, description="Default: the plan's default priority."
    )
    language: str | None = Field(default=None, pattern=r"^(en|nl)$")
    channel: Channel = Channel.API
    external_refs: dict[str, str] = Field(default_factory=dict, max_length=20)
    received_at: datetime | None = Field(
        default=None,
        description="Staff and integrations: when the call or mail arrived (never in the future).",
    )
    scheduled_visit: bool | None = Field(
        default=None,
        deprecated=True,
        description=(
            "Never sent: set by the visits workflow (a case opened while its customer's "
            "confirmed visit runs); any value is refused with 422 SCHEDULED_VISIT_READ_ONLY."
        ),
    )
    suggestion_id: uuid.UUID | None = Field(
        default=None,
        description=(
            "The knowledge suggestion shown while this case was written "
            "(POST /v1/knowledge/suggestions): recorded as opened all the same."
        ),
    )


class SlaClockRead(BaseModel):
    metric: str
    cycle: int
    priority: str
    target_minutes: int
    business_time: bool
    started_at: datetime
    due_at: datetime | None
    stopped_at: datetime | None
    paused_minutes: int
    paused: bool
    breached: bool
    breached_at: datetime | None
    explanation: list[str]


class TicketRead(BaseModel):
    id: uuid.UUID
    number: str
    status: Status
    priority: str | None
    subject: str
    description: str
    type: str
    channel: str
    language: str
    customer_id: uuid.UUID | None
    contact_id: uuid.UUID
    product_id: uuid.UUID
    version: str
    error_code: str | None
    error_message: str | None
    steps_to_reproduce: str | None
    external_refs: dict[str, Any]
    received_at: datetime
    created_at: datetime
    closed_at: datetime | None
    resolution: str | None
    assignee_id: uuid.UUID | None
    entitlement_status: str
    entitlement: dict[str, Any] | None
    plan_code: str | None
    support_center: str | None
    billable: bool
    scheduled_visit: bool = Field(
        default=False, description="Opened while its customer's confirmed visit ran."
    )
    next_due_at: datetime | None
    sla: list[SlaClockRead]


class TicketSummary(BaseModel):
    """A list row: the case without its conversation."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    number: str
    status: Status
    priority: str | None
    subject: str
    type: str
    language: str
    customer_id: uuid.UUID | None
    contact_id: uuid.UUID
    product_id: uuid.UUID
    version: str
    received_at: datetime
    assignee_id: uuid.UUID | None
    support_center: str | None
    next_due_at: datetime | None
    entitlement_status: str


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Status
    reason: str | None = Field(default=None, max_length=2000)


class CloseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resolution: str = Field(min_length=1, max_length=20_000)


class ReopenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000)


class PriorityChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    priority: str = Field(min_length=1, max_length=30)
    reason: str = Field(min_length=1, max_length=2000)


class Assignment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assignee_id: uuid.UUID | None


class MessageCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: str = Field(min_length=1, max_length=100_000)
    internal: bool = Field(
        default=False, description="An internal note: staff only, never a response."
    )


class MessageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    ticket_id: uuid.UUID
    author_id: str | None
    author_kind: str
    body: str
    internal: bool
    automated: bool
    created_at: datetime


class HistoryEntry(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    kind: str
    actor_id: str | None
    actor_kind: str
    from_value: str | None
    to_value: str | None
    reason: str | None
