"""Attachments: streamed uploads up to a configurable size (25 MB by default, seed 000);
larger files travel as a file-sharing link."""

from __future__ import annotations

import re
import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, status
from fastapi.responses import StreamingResponse
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field
from sqlalchemy import select

from careplane_shared.auth import CurrentPrincipal
from careplane_shared.db import DbSession
from careplane_shared.errors import CareplaneError, NotFound, ValidationFailed
from tickets.attachments.content import download_headers, media_type
from tickets.attachments.storage import AttachmentStorage, TooLarge
from tickets.models import Attachment
from tickets.ticket.repository import get_ticket

router = APIRouter(prefix="/v1/tickets/{ticket_id}/attachments", tags=["attachments"])

_SAFE_NAME = re.compile(r"^[^/\\\x00-\x1f]{1,255}$")


class PayloadTooLarge(CareplaneError):
    status_code = status.HTTP_413_CONTENT_TOO_LARGE
    code = "ATTACHMENT_TOO_LARGE"


class AttachmentNotFound(NotFound):
    code = "ATTACHMENT_NOT_FOUND"
    message = "No such attachment."


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


def _storage(request: Request) -> AttachmentStorage:
    storage: AttachmentStorage = request.app.state.attachment_storage
    return storage


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"Attachments are limited to {limit // (1024 * 1024)} MB; share larger files as a link "
        "(POST .../attachments/links).",
        details={"max_bytes": limit},
    )


@router.post(
    "",
    response_model=AttachmentRead,
    status_code=status.HTTP_201_CREATED,
    summary="Upload a file: the request body is the file itself.",
)
async def upload(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    ticket_id: uuid.UUID,
    filename: Annotated[str, Query(min_length=1, max_length=255)],
    content_type: Annotated[str, Header()] = "application/octet-stream",
    content_length: Annotated[int | None, Header()] = None,
) -> AttachmentRead:
    """Streamed to storage while its SHA-256 is computed. A body over the limit is refused
    with 413 before anything is stored (by its Content-Length, or as soon as the stream
    passes the limit)."""
    limit: int = request.app.state.settings.attachment_max_bytes
    if content_length is not None and content_length > limit:
        raise _too_large(limit)
    if not _SAFE_NAME.match(filename):
        raise ValidationFailed("The file name is not acceptable.", code="ATTACHMENT_NAME_INVALID")
    ticket = await get_ticket(session, principal=principal, ticket_id=ticket_id)
    storage = _storage(request)
    try:
        stored = await storage.save(request.stream(), limit)
    except TooLarge as exc:
        raise _too_large(limit) from exc
    attachment = Attachment(
        id=uuid.uuid4(),
        ticket_id=ticket.id,
        filename=filename,
        content_type=media_type(content_type),
        size=stored.size,
        sha256=stored.sha256,
        storage_key=stored.key,
        uploaded_by=principal.email or principal.subject,
    )
    session.add(attachment)
    try:
        await session.flush()
    except BaseException:
        # The bytes are stored but their record is not: leave no orphan behind.
        await storage.delete(stored.key)
        raise
    return AttachmentRead.model_validate(attachment)


@router.post(
    "/links",
    response_model=AttachmentRead,
    status_code=status.HTTP_201_CREATED,
    summary="Attach a file-sharing link (for files over the size limit).",
)
async def add_link(
    session: DbSession, principal: CurrentPrincipal, ticket_id: uuid.UUID, body: LinkCreate
) -> AttachmentRead:
    ticket = await get_ticket(session, principal=principal, ticket_id=ticket_id)
    attachment = Attachment(
        id=uuid.uuid4(),
        ticket_id=ticket.id,
        filename=body.filename,
        content_type=media_type(body.content_type),
        link_url=str(body.url),
        uploaded_by=principal.email or principal.subject,
    )
    session.add(attachment)
    await session.flush()
    return AttachmentRead.model_validate(attachment)


@router.get("", response_model=list[AttachmentRead], summary="A case's attachments.")
async def list_attachments(
    session: DbSession, principal: CurrentPrincipal, ticket_id: uuid.UUID
) -> list[AttachmentRead]:
    ticket = await get_ticket(session, principal=principal, ticket_id=ticket_id)
    rows = await session.scalars(
        select(Attachment).where(Attachment.ticket_id == ticket.id).order_by(Attachment.created_at)
    )
    return [AttachmentRead.model_validate(a) for a in rows.all()]


@router.get("/{attachment_id}", summary="Download an attachment.")
async def download(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    ticket_id: uuid.UUID,
    attachment_id: uuid.UUID,
) -> StreamingResponse:
    """PNG, JPEG, GIF and WebP images, PDF and plain text are served inline under their
    own type; anything else as `application/octet-stream` to download, never under the
    type its uploader claimed. Always `X-Content-Type-Options: nosniff`; any file name
    travels as RFC 6266 `filename*` (UTF-8) with an ASCII `filename` fallback."""
    ticket = await get_ticket(session, principal=principal, ticket_id=ticket_id)
    attachment = await session.get(Attachment, attachment_id)
    if attachment is None or attachment.ticket_id != ticket.id or attachment.storage_key is None:
        raise AttachmentNotFound()
    served, headers = download_headers(attachment.filename, attachment.content_type)
    return StreamingResponse(
        _storage(request).open(attachment.storage_key),
        media_type=served,
        headers={**headers, "x-content-sha256": attachment.sha256 or ""},
    )
