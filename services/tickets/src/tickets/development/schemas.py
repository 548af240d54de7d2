"""What With Development's routes answer and accept."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from tickets.ticket.schemas import TicketRead

IssueKey = Field(min_length=1, max_length=100, pattern=r"^\S+$", examples=["TW-4711"])


class HandOver(BaseModel):
    model_config = ConfigDict(extra="forbid")

    issue_key: str = IssueKey
    issue_url: AnyHttpUrl
    reason: str | None = Field(default=None, max_length=5000)


class FixReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: str = Field(min_length=1, max_length=50, pattern=r"^\S+$")
    note: str | None = Field(
        default=None, max_length=5000, description="Shown to the customer with the fix."
    )


class TrackerFix(FixReport):
    """What the tracker's webhook sends: the issue fixed, in which version."""

    issue_key: str = IssueKey


class DevelopmentRead(BaseModel):
    ticket_id: uuid.UUID
    issue_key: str
    issue_url: str | None = Field(description="The tracker's address: staff only (else null).")
    handed_at: datetime
    fixed_version: str | None
    fixed_at: datetime | None
    fix_note: str | None


class DevelopmentChange(BaseModel):
    development: DevelopmentRead
    ticket: TicketRead


class TrackerFixResult(BaseModel):
    issue_key: str
    version: str
    moved: list[uuid.UUID] = Field(description="The cases told of the fix now.")
    already: list[uuid.UUID] = Field(description="Cases told of this fix before (a retry).")
