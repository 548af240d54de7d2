from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field


class ClientServicesManagerSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    region: str = Field(
        min_length=1, max_length=50, pattern=r"^[A-Z0-9_-]+$", description="e.g. EMEA."
    )
    staff_user_id: uuid.UUID = Field(description="An active staff account.")


class ClientServicesManagerRead(BaseModel):
    region: str
    staff_user_id: uuid.UUID
    email: str
    name: str
