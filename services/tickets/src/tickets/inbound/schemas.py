from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class QuarantineStatus(StrEnum):
    HELD = "HELD"
    RELEASED = "RELEASED"
    REJECTED = "REJECTED"


class QuarantineReason(StrEnum):
    FOREIGN_SENDER = "FOREIGN_SENDER"
    UNVERIFIED_SENDER = "UNVERIFIED_SENDER"
    MALFORMED = "MALFORMED"


class QuarantinedMailRead(BaseModel):
    id: uuid.UUID
    received_at: datetime
    mail_from: str | None = Field(description="The envelope sender (empty: the null sender).")
    from_address: str | None
    to_addresses: list[str] = Field(description="The envelope recipients.")
    subject: str | None
    reason: QuarantineReason
    ticket_id: uuid.UUID | None = Field(description="The case the mail answers, if it names one.")
    ticket_number: str | None
    status: QuarantineStatus
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    size: int


class QuarantineReject(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=2000)


class QuarantineRelease(BaseModel):
    model_config = ConfigDict(extra="forbid")


class QuarantineReleased(BaseModel):
    item: QuarantinedMailRead
    ticket_id: uuid.UUID
    message_id: uuid.UUID | None = Field(
        description="The case message the mail became (none when it opened a case)."
    )


class InboundAccepted(BaseModel):
    id: uuid.UUID
    status: str = "RECEIVED"
