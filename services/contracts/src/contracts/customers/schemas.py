from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import available_timezones

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from careplane_shared.sla_policy import CalendarSpec

_TIMEZONES = frozenset(available_timezones())


class Language(StrEnum):
    EN = "en"
    NL = "nl"


class Standing(StrEnum):
    GOOD = "good"
    SUSPENDED = "suspended"


def _check_timezone(value: str) -> str:
    if value not in _TIMEZONES:
        raise ValueError(f"{value!r} is not an IANA time zone")
    return value


class CustomerBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    region: str = Field(min_length=1, max_length=50, examples=["AMERICAS", "EMEA", "APAC"])
    timezone: str = Field(examples=["Europe/Amsterdam"])
    language: Language = Language.EN
    standing: Standing = Standing.GOOD
    support_center_id: uuid.UUID | None = Field(
        default=None, description="Overrides the center the region picks."
    )

    _tz = field_validator("timezone")(_check_timezone)


class CustomerCreate(CustomerBase):
    external_id: str | None = Field(default=None, min_length=1, max_length=200)


class CustomerUpsert(CustomerBase):
    """The body of ``PUT /v1/customers/by-external-id/{external_id}``."""


class CustomerUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    region: str | None = Field(default=None, min_length=1, max_length=50)
    timezone: str | None = None
    language: Language | None = None
    standing: Standing | None = None
    support_center_id: uuid.UUID | None = None
    external_id: str | None = Field(default=None, min_length=1, max_length=200)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str | None) -> str | None:
        return None if value is None else _check_timezone(value)


class CustomerRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    region: str
    timezone: str
    language: str
    standing: str
    external_id: str | None
    support_center_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class ContactCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    name: str = Field(min_length=1, max_length=200)
    is_admin: bool = Field(default=False, description="A licensed administrator of the customer.")
    registered: bool = Field(default=True, description="A registered support contact.")
    password: str | None = Field(
        default=None,
        min_length=8,
        max_length=200,
        description=(
            "Lets the contact sign in (staff and the vendor's integrations only: a contact "
            "a customer invites chooses its own when it accepts)."
        ),
    )


class InvitationAccept(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: str = Field(min_length=8, max_length=200, description="The password to sign in.")


class ContactUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    is_admin: bool | None = None
    registered: bool | None = None
    active: bool | None = None
    password: str | None = Field(default=None, min_length=8, max_length=200)


class ContactRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    customer_id: uuid.UUID
    email: str
    name: str
    is_admin: bool
    registered: bool
    active: bool
    pending: bool = Field(
        description="Invited and not yet accepted by its person: cannot sign in yet."
    )
    created_at: datetime


class SupportCenterCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=50, pattern=r"^[a-z0-9-]+$")
    name: str = Field(min_length=1, max_length=200)
    regions: list[str] = Field(default_factory=list)
    calendar: CalendarSpec = Field(description="The center's business calendar.")


class SupportCenterRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str
    name: str
    regions: list[str]
    calendar: dict[str, Any]
