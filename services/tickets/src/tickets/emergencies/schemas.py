from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from careplane_shared.auth import Principal


class EmergencyDeclare(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=5000, description="What is at stake.")


class EmergencyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    ticket_id: uuid.UUID
    customer_id: uuid.UUID
    support_center: str | None
    reason: str
    declared_by: str
    declared_at: datetime
    billable: bool = Field(description="The plan bills each emergency call (a billable item).")
    billed_agreement_id: uuid.UUID | None
    alerted: list[str] | None = Field(
        description=(
            "The on-call staff alerted when it was declared (staff's own addresses: null for "
            "a customer's callers)."
        )
    )

    @classmethod
    def shown_to(cls, emergency: object, principal: Principal) -> EmergencyRead:
        """The emergency as the caller may read it: a customer's callers without the staff
        addresses (as its webhooks get ``ticket.emergency`` without ``on_call``)."""
        read = cls.model_validate(emergency)
        return read.model_copy(update={"alerted": None}) if principal.is_customer else read
