from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from pydantic import BaseModel, Field


class AgreementServices(BaseModel):
    agreement_id: uuid.UUID
    plan_id: uuid.UUID
    plan_code: str
    services: list[str]


class IncludedServices(BaseModel):
    """What a customer's agreements in force on a day include, with its support center."""

    customer_id: uuid.UUID
    customer_name: str
    day: date
    services: list[str] = Field(
        description="Every service of the plans of the customer's agreements in force that day."
    )
    agreements: list[AgreementServices]
    support_center: str | None = Field(description="The code of the customer's support center.")
    support_center_timezone: str | None = Field(description="The center's calendar's timezone.")


class CenterCalendar(BaseModel):
    code: str
    name: str
    timezone: str
    calendar: dict[str, Any]
