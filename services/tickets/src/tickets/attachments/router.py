"""Attachments: streamed uploads up to a configurable size (25 MB by default, seed 000);
larger files travel as a file-sharing link."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, status
from fastapi.responses import StreamingResponse

from careplane_shared.auth import CurrentPrincipal
from careplane_shared.db import DbSession
from tickets.attachments import service
from tickets.attachments.content import download_headers
from tickets.attachments.schemas import AttachmentRead, LinkCreate
from tickets.attachments.storage import AttachmentStorage
from tickets.deps import ReadSession

router = APIRouter(prefix="/v1/tickets/{ticket_id}/attachments", tags=["attachments"])


def _storage(request: Request) -> AttachmentStorage:
    storage: AttachmentStorage = request.app.state.attachment_storage
    return storage


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
    service.check_upload(filename=filename, content_length=content_length, limit=limit)
    attachment = await service.upload(
        session,
        _storage(request),
        principal=principal,
        ticket_id=ticket_id,
        filename=filename,
        content_type=content_type,
        chunks=request.stream(),
        limit=limit,
    )
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
    attachment = await service.add_link(
        session,
        principal=principal,
        ticket_id=ticket_id,
        url=str(body.url),
        filename=body.filename,
        content_type=body.content_type,
    )
    return AttachmentRead.model_validate(attachment)


@router.get("", response_model=list[AttachmentRead], summary="A case's attachments.")
async def list_attachments(
    session: ReadSession, principal: CurrentPrincipal, ticket_id: uuid.UUID
) -> list[AttachmentRead]:
    found = await service.list_attachments(session, principal=principal, ticket_id=ticket_id)
    return [AttachmentRead.model_validate(a) for a in found]


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
    attachment = await service.stored_file(
        session, principal=principal, ticket_id=ticket_id, attachment_id=attachment_id
    )
    assert attachment.storage_key is not None  # a stored file has its key
    served, headers = download_headers(attachment.filename, attachment.content_type)
    return StreamingResponse(
        _storage(request).open(attachment.storage_key),
        media_type=served,
        headers={**headers, "x-content-sha256": attachment.sha256 or ""},
    )
