from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator


class PreferencesUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    opted_out: list[str] = Field(
        max_length=20,
        description="The categories to receive no mail for; the rest are received. "
        "Essential notices cannot be listed.",
        examples=[["ticket_updates", "surveys"]],
    )


class CategoryRead(BaseModel):
    category: str
    description: str
    opted_out: bool


class EssentialRead(BaseModel):
    name: str
    description: str


class PreferencesRead(BaseModel):
    contact_id: uuid.UUID
    customer_id: uuid.UUID
    opted_out: list[str]
    categories: list[CategoryRead]
    essential: list[EssentialRead] = Field(description="Always sent; no one can opt out.")
    updated_by: str | None
    updated_at: datetime | None


class WatcherCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contact_id: uuid.UUID | None = None
    email: str | None = Field(
        default=None,
        max_length=300,
        pattern=r"^[^@\s]+@[^@\s]+$",
        description="The address of a contact of the case's customer.",
    )

    @model_validator(mode="after")
    def _one_of(self) -> WatcherCreate:
        if (self.contact_id is None) == (self.email is None):
            raise ValueError("give contact_id or email")
        return self


class WatcherRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    ticket_id: uuid.UUID
    contact_id: uuid.UUID
    email: str
    added_by: str
    created_at: datetime
