from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class EntitlementCheck(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contact_id: uuid.UUID
    product_id: uuid.UUID
    version: str = Field(min_length=1, max_length=50, examples=["3.1"])
    at: datetime | date | None = Field(default=None, description="Default: now.")
    customer_id: uuid.UUID | None = Field(
        default=None,
        description=(
            "For a service asking on behalf of a customer's caller: the contact must be this "
            "customer's, or the answer is 404 CONTACT_NOT_FOUND exactly as for no contact."
        ),
    )


class EntitlementResult(BaseModel):
    entitled: bool
    reasons: list[str] = Field(description="Machine-readable reason codes (docs/api.md).")
    phase: str | None = Field(description="MAINSTREAM, EXTENDED or END_OF_LIFE of the version.")
    scope: str | None = Field(description="FULL, or SECURITY_AND_CRITICAL in extended support.")
    quota_remaining: int | None
    billable: bool = Field(description="Entitled as an extra, billable ticket (quota used up).")
    sla_policy: dict[str, Any] | None = Field(
        description="Snapshot of the plan's SLA policy with the calendar resolved."
    )
    customer_id: uuid.UUID
    contact_id: uuid.UUID
    product_id: uuid.UUID
    version: str
    major_version: int | None
    agreement_id: uuid.UUID | None
    plan_id: uuid.UUID | None
    plan_code: str | None
    plan_name: str | None
    case_visibility: str | None = Field(
        description="Which of its customer's cases a plain contact sees: customer or own."
    )
    support_center: str | None
    customer_language: str
    checked_at: date
