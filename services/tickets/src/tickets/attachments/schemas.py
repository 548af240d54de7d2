"""What the attachment routes answer and accept."""

from __future__ import annotations

import uuid

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field


class AttachmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    ticket_id: uuid.UUID
    filename: str
    content_type: str
    size: int | None
    sha256: str | None
    link_url: str | None
    uploaded_by: str | None


class LinkCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: AnyHttpUrl
    filename: str = Field(min_length=1, max_length=255)
    content_type: str = Field(default="application/octet-stream", max_length=200)
