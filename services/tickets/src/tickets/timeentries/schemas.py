"""What the time entry routes take and answer."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from careplane_shared.pagination import Page


class Activity(StrEnum):
    """What the time went to. A billable entry of any activity is billed as other-support
    time (emergency calls and on-site visits are billed per item by their own workflows)."""

    INVESTIGATION = "investigation"
    COMMUNICATION = "communication"
    REMOTE_SESSION = "remote_session"
    OTHER_SUPPORT = "other_support"
    DEVELOPMENT = "development"


Minutes = Field(ge=1, le=1440, description="Minutes worked (one entry: at most a day).")


class TimeEntryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    minutes: int = Minutes
    activity: Activity
    billable: bool = False
    worked_at: AwareDatetime | None = Field(default=None, description="Default: now.")
    note: str | None = Field(
        default=None,
        max_length=2000,
        description="What was done; on a billable entry, part of the invoice line the "
        "customer sees.",
    )


class TimeEntryUpdate(BaseModel):
    """Only the fields given change."""

    model_config = ConfigDict(extra="forbid")

    minutes: int | None = Field(default=None, ge=1, le=1440)
    activity: Activity | None = None
    billable: bool | None = None
    worked_at: AwareDatetime | None = None
    note: str | None = Field(default=None, max_length=2000)


class TimeEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    ticket_id: uuid.UUID
    agent_id: str
    agent_email: str | None
    minutes: int
    activity: Activity
    billable: bool
    billed_minutes: int | None
    billed_at: datetime | None
    worked_at: datetime
    note: str | None
    created_at: datetime


class TimeEntryPage(Page[TimeEntryRead]):
    """A page of entries and the case's totals (over all its entries, not the page)."""

    total_minutes: int
    billable_minutes: int
    billed_minutes: int
