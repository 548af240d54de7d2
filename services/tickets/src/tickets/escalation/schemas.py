from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from careplane_shared.pagination import Page
from tickets.escalation.rules import ChangeStatus, ContactChannel, ContactOutcome, Decision
from tickets.ticket.rules import EscalationKind


class EscalationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: EscalationKind
    reason: str | None = Field(
        default=None,
        max_length=2000,
        description="Required (422 `ESCALATION_REASON_REQUIRED` when missing or blank).",
    )
    team: str | None = Field(
        default=None,
        max_length=100,
        description="INTERNAL: the team the case goes to (required); ignored for CUSTOMER.",
    )


class EscalationResolve(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resolution: str | None = Field(
        default=None, max_length=4000, description="What was done (required)."
    )


class TeamReturn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(
        default=None, max_length=4000, description="What the team did (staff only)."
    )


class EscalationOwner(BaseModel):
    id: uuid.UUID | None
    email: str | None
    name: str | None


class EscalationRead(BaseModel):
    """A customer sees only its own (CUSTOMER) escalations; INTERNAL ones, their teams and
    reasons are staff business."""

    id: uuid.UUID
    ticket_id: uuid.UUID
    kind: EscalationKind
    reason: str
    team: str | None
    owner: EscalationOwner | None = Field(
        description="CUSTOMER: the region's Client Services Manager (null: none was named)."
    )
    previous_status: str
    opened_by: str
    opened_at: datetime
    open: bool
    resolved_by: str | None
    resolved_at: datetime | None
    resolution: str | None


class ContactAttemptCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: ContactChannel
    outcome: ContactOutcome
    note: str | None = Field(default=None, max_length=4000, description="Staff only.")


class ContactAttemptRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    ticket_id: uuid.UUID
    escalation_id: uuid.UUID | None
    channel: ContactChannel
    step: int = Field(description="1 email, 2 phone, 3 web conference.")
    skipped_ahead: bool = Field(description="An earlier step of the path was not tried first.")
    outcome: ContactOutcome
    note: str | None = Field(description="Staff only: null for the customer.")
    by: str
    at: datetime


class ContactAttemptPage(Page[ContactAttemptRead]):
    path: list[ContactChannel] = Field(description="The escalation path, in its order.")
    next_step: ContactChannel | None = Field(
        description="The first step of the path not tried yet for the case's open customer "
        "escalation (or, without one, for the case); null once every step was tried."
    )


class ChangeRequestCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    priority: str = Field(
        min_length=1, max_length=30, description="One of the plan's (e.g. Category I: `I`)."
    )
    motivation: str | None = Field(
        default=None,
        max_length=4000,
        description="Required (422 `MOTIVATION_REQUIRED` when missing or blank).",
    )


class ChangeRequestDecide(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Decision
    reason: str | None = Field(
        default=None, max_length=4000, description="Required; the customer sees it."
    )


class ChangeRequestRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    ticket_id: uuid.UUID
    from_priority: str | None
    to_priority: str
    motivation: str
    status: ChangeStatus
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
