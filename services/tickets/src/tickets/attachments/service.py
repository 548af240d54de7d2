"""Attachments of a case: files streamed to storage with their record, file-sharing links,
the list and the stored file to download. Every one is reached through its case, so the
case's visibility rule is the attachments' too."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.auth import Principal
from tickets.attachments.content import media_type
from tickets.attachments.exceptions import (
    AttachmentNameInvalid,
    AttachmentNotFound,
    too_large,
)
from tickets.attachments.storage import AttachmentStorage, TooLarge
from tickets.models import Attachment
from tickets.ticket.repository import get_ticket

_SAFE_NAME = re.compile(r"^[^/\\\x00-\x1f]{1,255}$")


def check_upload(*, filename: str, content_length: int | None, limit: int) -> None:
    """Refuses, before anything is read, a body announced over ``limit`` (413) and a file
    name that is not acceptable."""
    if content_length is not None and content_length > limit:
        raise too_large(limit)
    if not _SAFE_NAME.match(filename):
        raise AttachmentNameInvalid()


async def upload(
    session: AsyncSession,
    storage: AttachmentStorage,
    *,
    principal: Principal,
    ticket_id: uuid.UUID,
    filename: str,
    content_type: str,
    chunks: AsyncIterator[bytes],
    limit: int,
) -> Attachment:
    """Streams ``chunks`` to storage (413 as soon as they pass ``limit``) and records the
    file; stored bytes whose record cannot be written are deleted again."""
    ticket = await get_ticket(session, principal=principal, ticket_id=ticket_id)
    try:
        stored = await storage.save(chunks, limit)
    except TooLarge as exc:
        raise too_large(limit) from exc
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
    return attachment


async def add_link(
    session: AsyncSession,
    *,
    principal: Principal,
    ticket_id: uuid.UUID,
    url: str,
    filename: str,
    content_type: str,
) -> Attachment:
    ticket = await get_ticket(session, principal=principal, ticket_id=ticket_id)
    attachment = Attachment(
        id=uuid.uuid4(),
        ticket_id=ticket.id,
        filename=filename,
        content_type=media_type(content_type),
        link_url=url,
        uploaded_by=principal.email or principal.subject,
    )
    session.add(attachment)
    await session.flush()
    return attachment


async def list_attachments(
    session: AsyncSession, *, principal: Principal, ticket_id: uuid.UUID
) -> Sequence[Attachment]:
    ticket = await get_ticket(session, principal=principal, ticket_id=ticket_id)
    rows = await session.scalars(
        select(Attachment).where(Attachment.ticket_id == ticket.id).order_by(Attachment.created_at)
    )
    return rows.all()


async def stored_file(
    session: AsyncSession, *, principal: Principal, ticket_id: uuid.UUID, attachment_id: uuid.UUID
) -> Attachment:
    """An uploaded file of the case (a link has nothing stored: not found)."""
    ticket = await get_ticket(session, principal=principal, ticket_id=ticket_id)
    attachment = await session.get(Attachment, attachment_id)
    if attachment is None or attachment.ticket_id != ticket.id or attachment.storage_key is None:
        raise AttachmentNotFound()
    return attachment
