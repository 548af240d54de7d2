from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field


class ShiftCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    support_center: str = Field(min_length=1, max_length=50, examples=["broomfield"])
    staff_email: EmailStr
    staff_id: uuid.UUID | None = None
    starts_at: datetime
    ends_at: datetime
    note: str | None = Field(default=None, max_length=500)


class ShiftUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    staff_email: EmailStr | None = None
    staff_id: uuid.UUID | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    note: str | None = Field(default=None, max_length=500)


class ShiftRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    support_center: str
    staff_email: str
    staff_id: uuid.UUID | None
    starts_at: datetime
    ends_at: datetime
    note: str | None
    created_by: str
    created_at: datetime


class OnCallNow(BaseModel):
    support_center: str
    at: datetime
    timezone: str | None = Field(description="The center's calendar's timezone.")
    local_time: datetime | None = Field(description="``at`` in the center's timezone.")
    staff: list[str] = Field(description="Who is on call, each address once.")
    shifts: list[ShiftRead]


class RotaDay(BaseModel):
    day: date
    starts_at: datetime
    ends_at: datetime
    uncovered_minutes: int = Field(description="Minutes of the local day nobody is on call.")
    shifts: list[ShiftRead]


class RotaCalendar(BaseModel):
    support_center: str
    timezone: str
    days: list[RotaDay]
