from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class ProductCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=50, pattern=r"^[a-z0-9-]+$")
    name: str = Field(min_length=1, max_length=200)
    description: str | None = None


class ProductRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str
    name: str
    description: str | None


class MilestoneChange(BaseModel):
    """Dates of a major version. EOMS and EOL are derived unless overridden with a reason."""

    model_config = ConfigDict(extra="forbid")

    ga: date | None = None
    eos: date | None = None
    eoms_override: date | None = None
    eol_override: date | None = None
    override_reason: str | None = Field(default=None, max_length=2000)
    release_state: str | None = Field(default=None, max_length=50)
    force_reason: str | None = Field(
        default=None,
        max_length=2000,
        description="Required to set EOS, EOMS or EOL less than 6 months ahead.",
    )


class MajorVersionCreate(MilestoneChange):
    major: int = Field(ge=0, le=10_000)
    ga: date
    release_state: str = Field(default="Production", max_length=50)


class ReleaseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: str = Field(min_length=1, max_length=50, pattern=r"^\d+(\.\d+){0,3}$")
    release_state: str = Field(default="Production", max_length=50)
    released_on: date | None = None


class ReleaseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: str
    release_state: str
    released_on: date | None


class MajorVersionRead(BaseModel):
    major: int
    ga: date
    eos: date | None
    eoms: date | None
    eol: date | None
    eoms_derived: bool
    eol_derived: bool
    override_reason: str | None
    release_state: str
    phase: str = Field(description="At the requested date: MAINSTREAM, EXTENDED or END_OF_LIFE.")
    releases: list[ReleaseRead]


class SupportedVersion(BaseModel):
    version: str
    major: int
    phase: str
    release_state: str
