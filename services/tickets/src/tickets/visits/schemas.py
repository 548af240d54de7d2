from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from tickets.visits.rules import VisitStatus


class VisitCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: uuid.UUID | None = Field(
        default=None, description="Staff name the customer; a customer's caller books its own."
    )
    starts_at: datetime = Field(description="At least 48 hours from now.")
    ends_at: datetime
    purpose: str | None = Field(default=None, max_length=5000)
    location: str | None = Field(default=None, max_length=300)


class VisitCancel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000)


class VisitRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    customer_id: uuid.UUID
    customer_name: str | None
    support_center: str | None
    starts_at: datetime
    ends_at: datetime
    status: VisitStatus
    purpose: str | None
    location: str | None
    requested_by: str
    booked_by: str | None = Field(description="The staff member who booked or confirmed it.")
    confirmed_at: datetime | None
    cancelled_by: str | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    started_event_at: datetime | None = Field(
        description="When the on-duty staff were alerted that it started."
    )
    created_at: datetime
