from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

AnnouncementStatus = Literal["scheduled", "sending", "sent", "superseded", "cancelled"]
Milestone = Literal["EOS", "EOMS", "EOL"]


class RecipientRead(BaseModel):
    """Proof for one customer: whom we wrote to, and when the mail went out."""

    customer_id: uuid.UUID
    customer_name: str
    language: str
    to_addresses: list[str] = Field(description="Empty: the customer had no contact to write to.")
    delivery_id: uuid.UUID | None
    delivery_status: str | None
    sent_at: datetime | None = Field(description="When our SMTP server accepted the mail.")
    message_id: str | None
    subject: str | None


class AnnouncementRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    product_id: uuid.UUID
    product_name: str
    major: int
    milestone: Milestone
    milestone_date: date
    previous_date: date | None = Field(description="The date this one replaces, if it moved.")
    announce_at: datetime
    status: AnnouncementStatus
    created_at: datetime
    sent_at: datetime | None = Field(description="When the mails to every customer were queued.")
    attempts: int
    last_error: str | None
    customers: int = Field(description="Customers it was (or, for you, you were) sent to.")


class AnnouncementDetail(AnnouncementRead):
    recipients: list[RecipientRead]
