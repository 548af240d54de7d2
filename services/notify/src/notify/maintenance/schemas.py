from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

MaintenanceKind = Literal["scheduled", "unscheduled"]
MaintenanceStatus = Literal["scheduled", "cancelled"]


class MaintenanceWindowCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200, examples=["Database upgrade"])
    description: str = Field(min_length=1, max_length=5000)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    kind: MaintenanceKind = "scheduled"
    product_id: uuid.UUID | None = Field(
        default=None, description="The product affected; its customers are told."
    )
    customer_ids: list[uuid.UUID] | None = Field(
        default=None,
        min_length=1,
        max_length=1000,
        description="Exactly these customers; without it every customer with an active "
        "agreement (on `product_id`, when given).",
    )

    @model_validator(mode="after")
    def _ends_after_start(self) -> Self:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class MaintenanceCancel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=2000)


class MaintenanceRecipientRead(BaseModel):
    customer_id: uuid.UUID
    customer_name: str
    language: str
    timezone: str
    to_addresses: list[str] = Field(description="Empty: the customer had no contact to write to.")
    delivery_id: uuid.UUID | None
    delivery_status: str | None
    sent_at: datetime | None
    cancel_delivery_id: uuid.UUID | None
    cancel_delivery_status: str | None
    cancel_sent_at: datetime | None


class MaintenanceWindowRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    uid: str = Field(description="The iCalendar UID, the same in every mail about the window.")
    sequence: int = Field(description="The iCalendar SEQUENCE of the latest mail.")
    kind: MaintenanceKind
    status: MaintenanceStatus
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    product_id: uuid.UUID | None
    customer_ids: list[uuid.UUID] | None = Field(
        description="The customers asked for (none: every customer with an active agreement); "
        "a customer sees only itself here."
    )
    created_by: str
    created_at: datetime
    cancelled_at: datetime | None
    cancelled_by: str | None
    cancel_reason: str | None
    customers: int = Field(description="Customers told (for a customer: itself).")


class MaintenanceWindowDetail(MaintenanceWindowRead):
    recipients: list[MaintenanceRecipientRead]
