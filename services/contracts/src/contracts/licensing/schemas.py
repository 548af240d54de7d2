from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class KeyStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


class ValidationCode(StrEnum):
    VALID = "VALID"
    NOT_FOUND = "NOT_FOUND"
    SUSPENDED = "SUSPENDED"
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"
    VERSION_MISMATCH = "VERSION_MISMATCH"
    BAD_SIGNATURE = "BAD_SIGNATURE"


class LicenseKeyIssue(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: uuid.UUID
    product_id: uuid.UUID
    major_version: int = Field(ge=0, le=10_000)
    agreement_id: uuid.UUID | None = Field(
        default=None, description="Bind the key to an agreement: it expires with it."
    )
    expires_at: datetime | None = Field(
        default=None, description="For keys not bound to an agreement."
    )
    request_ticket_id: uuid.UUID | None = Field(
        default=None, description="The key request ticket this fulfils."
    )


class LicenseKeyStatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000)


class LicenseKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    key: str
    customer_id: uuid.UUID
    product_id: uuid.UUID
    major_version: int
    agreement_id: uuid.UUID | None
    status: KeyStatus
    issued_at: datetime
    expires_at: datetime | None
    replaces_id: uuid.UUID | None
    request_ticket_id: uuid.UUID | None
    status_reason: str | None


class ValidateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=4000)
    product_id: uuid.UUID
    version: str = Field(min_length=1, max_length=50, examples=["3.1"])


class ValidateResponse(BaseModel):
    valid: bool
    code: ValidationCode
    license_id: uuid.UUID | None = None
    customer_id: uuid.UUID | None = None
    product_id: uuid.UUID | None = None
    major_version: int | None = None
    expires_at: datetime | None = None
