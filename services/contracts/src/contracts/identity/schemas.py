from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class GrantType(StrEnum):
    PASSWORD = "password"
    CLIENT_CREDENTIALS = "client_credentials"


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class Viewer(BaseModel):
    id: str
    email: str
    name: str | None = None
    role: str
    customer_id: uuid.UUID | None = None


class ApiKeyRole(StrEnum):
    INTEGRATION = "INTEGRATION"
    SERVICE = "SERVICE"


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    role: ApiKeyRole = ApiKeyRole.INTEGRATION
    scopes: list[str] = Field(
        default_factory=list,
        max_length=50,
        description=(
            "tickets:read|write, contracts:read|write, notify:read|write, inbound:write, "
            "development:write; "
            "write includes read; none: the key may only read."
        ),
    )
    customer_id: uuid.UUID | None = Field(
        default=None,
        description=(
            "Bind the key to one customer (staff only; a customer administrator's keys are "
            "always bound to its customer): it then acts as that customer's administrator "
            "at most."
        ),
    )


class ApiKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    client_id: str
    name: str
    role: str
    scopes: list[str]
    customer_id: uuid.UUID | None
    created_by: str | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    client_secret: str = Field(description="Shown only in this response; store it now.")


class StaffUserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    name: str
    role: str
    active: bool
