from __future__ import annotations

from datetime import datetime, time
from typing import Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class DigestSettingsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    timezone: str = Field(examples=["Europe/Amsterdam"], description="An IANA timezone.")
    quiet_start: time | None = Field(default=None, examples=["22:00"])
    quiet_end: time | None = Field(default=None, examples=["07:00"])
    digest_minutes: int = Field(
        default=0,
        ge=0,
        le=24 * 60,
        description="Collect non-urgent staff mail and send it every this many minutes "
        "(counted from local midnight); 0 sends it at once outside quiet hours.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("not a known IANA timezone") from exc
        return value

    @model_validator(mode="after")
    def _both_or_neither(self) -> Self:
        if (self.quiet_start is None) != (self.quiet_end is None):
            raise ValueError("give both quiet_start and quiet_end, or neither")
        if self.quiet_start is not None and self.quiet_start == self.quiet_end:
            raise ValueError("quiet hours must not start and end at the same time")
        return self


class DigestSettingsRead(BaseModel):
    timezone: str
    quiet_start: time | None
    quiet_end: time | None
    digest_minutes: int
    in_quiet_hours: bool = Field(description="Whether non-urgent staff mail waits right now.")
    held: int = Field(description="Staff mails waiting for the next digest.")
    next_release_at: datetime | None = Field(description="When the next digest goes out.")
    updated_by: str | None
    updated_at: datetime | None
