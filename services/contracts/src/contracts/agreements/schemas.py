from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class AgreementStatus(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    SUSPENDED = "suspended"
    CANCELLED = "cancelled"


class AgreementCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: uuid.UUID
    plan_id: uuid.UUID
    commencement: date = Field(description="First day covered.")
    term_months: int = Field(default=12, ge=1, le=120)
    license_price: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    product_ids: list[uuid.UUID] = Field(min_length=1, description="Products the agreement covers.")


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: AgreementStatus
    reason: str = Field(min_length=1, max_length=2000)


class AgreementRead(BaseModel):
    id: uuid.UUID
    customer_id: uuid.UUID
    plan_id: uuid.UUID
    plan_name: str
    year: int
    anchor_date: date
    starts_on: date
    ends_on: date
    term_months: int
    status: AgreementStatus = Field(
        description="Effective today: an active agreement past its end is expired."
    )
    stored_status: AgreementStatus
    license_price: Decimal
    currency: str
    price: Decimal | None = Field(description="This year's price under the plan's pricing rule.")
    upgrade_price: Decimal | None
    product_ids: list[uuid.UUID]
    previous_agreement_id: uuid.UUID | None
    renewed_by_id: uuid.UUID | None
    quota_remaining: int | None


class QuotaKind(StrEnum):
    GRANT = "grant"
    CONSUME = "consume"
    REVERSAL = "reversal"
    ROLLOVER_IN = "rollover_in"
    ROLLOVER_OUT = "rollover_out"
    EXCHANGE = "exchange"
    PURCHASE = "purchase"


class QuotaEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: QuotaKind
    amount: int
    ticket_id: uuid.UUID | None
    note: str | None
    created_by: str | None
    created_at: datetime


class QuotaSummary(BaseModel):
    agreement_id: uuid.UUID
    yearly: int | None
    granted: int
    consumed: int
    remaining: int
    when_exhausted: str
    rollover: bool


class ConsumeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ticket_id: uuid.UUID
    idempotency_key: str | None = Field(default=None, max_length=200)


class ConsumeResult(BaseModel):
    outcome: str = Field(
        description="consumed, billable (quota used up, booked as extra) or duplicate"
    )
    remaining: int
    entry_id: uuid.UUID | None = None
    billable_item_id: uuid.UUID | None = None


class ReversalRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ticket_id: uuid.UUID
    idempotency_key: str | None = Field(default=None, max_length=200)


class PurchaseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: int = Field(ge=1, le=100_000)
    note: str | None = Field(default=None, max_length=2000)


class ExchangeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: int = Field(ge=1, le=100_000)
    service: str = Field(min_length=1, max_length=200, description="The premium service received.")
