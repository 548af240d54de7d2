from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class BillableKind(StrEnum):
    EXTRA_TICKET = "extra_ticket"
    SERVICE_REQUEST = "service_request"
    EMERGENCY_CALL = "emergency_call"
    ONSITE_VISIT = "onsite_visit"
    OTHER_SUPPORT = "other_support"
    UPGRADE = "upgrade"


class BillableRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: uuid.UUID
    kind: BillableKind
    occurred_at: datetime
    agreement_id: uuid.UUID | None = None
    ticket_id: uuid.UUID | None = None
    minutes: int | None = Field(
        default=None, ge=1, le=100_000, description="For other-support sessions: rounded up to 30."
    )
    quantity: Decimal | None = Field(default=None, gt=0, max_digits=10, decimal_places=2)
    description: str | None = Field(default=None, max_length=2000)
    idempotency_key: str | None = Field(default=None, max_length=200)


class BillableItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    customer_id: uuid.UUID
    agreement_id: uuid.UUID | None
    kind: str
    quantity: Decimal
    unit: str
    minutes_worked: int | None
    ticket_id: uuid.UUID | None
    description: str | None
    occurred_at: datetime
