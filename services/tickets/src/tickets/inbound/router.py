"""The mail intake's routes: the inbound webhook (raw RFC 5322 mail, as mail providers
post it), the quarantine for staff, and the raw mail behind a case message."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response, status

from careplane_shared.auth import ANY_SCOPE, CurrentPrincipal, Scope, StaffPrincipal
from careplane_shared.db import DbSession
from careplane_shared.pagination import Page, PageParamsDep
from tickets.deps import ReadSession
from tickets.inbound import quarantine, storage
from tickets.inbound.exceptions import InboundScopeRequired, MessageTooLarge
from tickets.inbound.schemas import (
    InboundAccepted,
    QuarantinedMailRead,
    QuarantineReject,
    QuarantineRelease,
    QuarantineReleased,
    QuarantineStatus,
)

router = APIRouter(prefix="/v1", tags=["inbound mail"])
RFC822 = "message/rfc822"


@router.post(
    "/inbound/mime",
    response_model=InboundAccepted,
    status_code=status.HTTP_202_ACCEPTED,
    openapi_extra=ANY_SCOPE,
    summary="Hand over one received mail (raw RFC 5322), as mail providers' webhooks do.",
)
async def post_mime(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    mail_from: Annotated[str | None, Query(max_length=320)] = None,
    rcpt_to: Annotated[list[str] | None, Query(max_length=100)] = None,
    content_length: Annotated[int | None, Header()] = None,
) -> InboundAccepted:
    """The body is the message itself (``message/rfc822`` or ``application/octet-stream``).
    It is committed before the 202, then processed like mail to the SMTP listener.
    Needs an integration key with the ``inbound:write`` scope (or a service token); 413
    over ``inbound_max_message_bytes``, told by Content-Length or found while reading.
    The envelope: ``mail_from`` and ``rcpt_to`` (repeated); without them, the support
    address is the recipient and the headers say who sent it."""
    if not (
        principal.is_service
        or (principal.is_vendor_integration and Scope.INBOUND_WRITE.value in principal.scopes)
    ):
        raise InboundScopeRequired()
    limit: int = request.app.state.settings.inbound_max_message_bytes
    if content_length is not None and content_length > limit:
        raise MessageTooLarge(details={"max_bytes": limit})
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise MessageTooLarge(details={"max_bytes": limit})
        chunks.append(chunk)
    row = await storage.store(
        session,
        b"".join(chunks),
        source="api",
        mail_from=mail_from,
        rcpt_to=rcpt_to or [request.app.state.settings.inbound_support_address],
    )
    # Committed when the route returns, before the 202 is sent (DbSession); the worker polls.
    return InboundAccepted(id=row.id)


@router.get(
    "/inbound/quarantine",
    response_model=Page[QuarantinedMailRead],
    summary="Mail held for staff (staff only).",
)
async def list_quarantine(
    session: ReadSession,
    _: StaffPrincipal,
    page: PageParamsDep,
    status: QuarantineStatus | None = QuarantineStatus.HELD,
) -> Page[QuarantinedMailRead]:
    items, total = await quarantine.list_held(
        session, status=status, limit=page.limit, offset=page.offset
    )
    return page.of([quarantine.view(q, m) for q, m in items], total)


@router.get(
    "/inbound/quarantine/{quarantine_id}",
    response_model=QuarantinedMailRead,
    summary="One quarantined mail (staff only).",
)
async def get_quarantined(
    session: ReadSession, _: StaffPrincipal, quarantine_id: uuid.UUID
) -> QuarantinedMailRead:
    return quarantine.view(*await quarantine.get_held(session, quarantine_id))


@router.post(
    "/inbound/quarantine/{quarantine_id}/release",
    response_model=QuarantineReleased,
    summary="Release a held mail: it joins its case (or opens one).",
)
async def release_quarantined(
    request: Request,
    session: DbSession,
    principal: StaffPrincipal,
    quarantine_id: uuid.UUID,
    body: QuarantineRelease,
) -> QuarantineReleased:
    (held, mail), ticket_id, message_id = await quarantine.release(
        session, request.app.state.inbound_services, principal=principal, held_id=quarantine_id
    )
    return QuarantineReleased(
        item=quarantine.view(held, mail), ticket_id=ticket_id, message_id=message_id
    )


@router.post(
    "/inbound/quarantine/{quarantine_id}/reject",
    response_model=QuarantinedMailRead,
    summary="Reject a held mail (it stays stored, marked rejected).",
)
async def reject_quarantined(
    session: DbSession, principal: StaffPrincipal, quarantine_id: uuid.UUID, body: QuarantineReject
) -> QuarantinedMailRead:
    held, mail = await quarantine.reject(
        session, principal=principal, held_id=quarantine_id, reason=body.reason
    )
    return quarantine.view(held, mail)


@router.get(
    "/tickets/{ticket_id}/messages/{message_id}/raw",
    response_class=Response,
    responses={200: {"content": {RFC822: {}}}},
    summary="The mail a case message came as, byte for byte (staff only).",
)
async def raw_message(
    session: ReadSession, principal: StaffPrincipal, ticket_id: uuid.UUID, message_id: uuid.UUID
) -> Response:
    raw = await quarantine.raw_message(
        session, principal=principal, ticket_id=ticket_id, message_id=message_id
    )
    return Response(raw, media_type=RFC822)


@router.get(
    "/tickets/{ticket_id}/raw",
    response_class=Response,
    responses={200: {"content": {RFC822: {}}}},
    summary="The mail that opened the case, byte for byte (staff only).",
)
async def raw_opening(
    session: ReadSession, principal: StaffPrincipal, ticket_id: uuid.UUID
) -> Response:
    raw = await quarantine.raw_opening(session, principal=principal, ticket_id=ticket_id)
    return Response(raw, media_type=RFC822)
