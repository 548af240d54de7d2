"""With Development: ``/v1/tickets/{ticket_id}/development`` (hand over, read, fix) and the
tracker's signed webhook ``/v1/development/webhook``."""

from __future__ import annotations

import time
import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Request
from pydantic import ValidationError

from careplane_shared.auth import ANY_SCOPE, CurrentPrincipal
from careplane_shared.db import DbSession
from careplane_shared.errors import ValidationFailed
from tickets.deps import OutboxDep, PolicyDep, ReadSession
from tickets.development import service
from tickets.development.exceptions import (
    WebhookOff,
    WebhookRefused,
    WebhookTimestampInvalid,
)
from tickets.development.rules import DevelopmentRuleError, check_signature
from tickets.development.schemas import (
    DevelopmentChange,
    DevelopmentRead,
    FixReport,
    HandOver,
    TrackerFix,
    TrackerFixResult,
)
from tickets.ticket.router import changed_view

router = APIRouter(prefix="/v1", tags=["development"])


@router.post(
    "/tickets/{ticket_id}/development",
    response_model=DevelopmentChange,
    summary="Hand a defect to development with its tracker reference (staff).",
)
async def hand_over(
    session: DbSession,
    outbox: OutboxDep,
    policy: PolicyDep,
    principal: CurrentPrincipal,
    ticket_id: uuid.UUID,
    body: HandOver,
) -> DevelopmentChange:
    """The case becomes WITH_DEVELOPMENT and keeps the tracker's issue key and address.
    409 `ALREADY_WITH_DEVELOPMENT`, `TICKET_CLOSED`, `ENTITLEMENT_PENDING`."""
    done = await service.hand_over(
        session,
        outbox,
        principal=principal,
        ticket_id=ticket_id,
        issue_key=body.issue_key,
        issue_url=str(body.issue_url),
        reason=body.reason,
        policy=policy,
    )
    return DevelopmentChange(
        development=service.view(principal, done.link),
        ticket=await changed_view(session, done.change),
    )


@router.get(
    "/tickets/{ticket_id}/development",
    response_model=DevelopmentRead,
    summary="A case's tracker reference and the fix reported.",
)
async def get_development(
    session: ReadSession, principal: CurrentPrincipal, ticket_id: uuid.UUID
) -> DevelopmentRead:
    """The tracker's address is shown to the vendor's side only."""
    link = await service.get_link(session, principal=principal, ticket_id=ticket_id)
    return service.view(principal, link)


@router.post(
    "/tickets/{ticket_id}/development/fix",
    response_model=DevelopmentChange,
    summary="Development reports the fix and its version (staff, or the tracker's key).",
    openapi_extra=ANY_SCOPE,
)
async def report_fix(
    session: DbSession,
    outbox: OutboxDep,
    policy: PolicyDep,
    principal: CurrentPrincipal,
    ticket_id: uuid.UUID,
    body: FixReport,
) -> DevelopmentChange:
    """Staff, or the vendor's integration key with `development:write` (or
    `tickets:write`). The customer is told which version carries the fix
    (`ticket.development_fixed`) and the case moves to PENDING, waiting for the customer
    to confirm it. 409 `NOT_WITH_DEVELOPMENT` for a case not with development."""
    done = await service.report_fix(
        session,
        outbox,
        principal=principal,
        ticket_id=ticket_id,
        version=body.version,
        note=body.note,
        policy=policy,
    )
    return DevelopmentChange(
        development=service.view(principal, done.link),
        ticket=await changed_view(session, done.change),
    )


@router.post(
    "/development/webhook",
    response_model=TrackerFixResult,
    summary="The tracker reports a fixed issue (signed with the deployment's secret).",
)
async def tracker_webhook(
    request: Request,
    session: DbSession,
    outbox: OutboxDep,
    policy: PolicyDep,
    x_careplane_timestamp: Annotated[str | None, Header()] = None,
    x_careplane_signature: Annotated[str | None, Header()] = None,
) -> TrackerFixResult:
    """No bearer token: `X-Careplane-Timestamp` (Unix seconds) and `X-Careplane-Signature:
    sha256=<hex HMAC-SHA256 of "<timestamp>." + body>` with `TICKETS_DEVELOPMENT_WEBHOOK_SECRET`.
    401 `WEBHOOK_SIGNATURE_INVALID` or `WEBHOOK_TIMESTAMP_INVALID` (outside the window
    `TICKETS_DEVELOPMENT_WEBHOOK_TOLERANCE_SECONDS`). Every case handed over as the issue
    and still with development moves on; sending the same fix again changes nothing."""
    settings = request.app.state.settings
    if not settings.development_webhook_secret:
        raise WebhookOff()
    body = await request.body()
    try:
        check_signature(
            secret=settings.development_webhook_secret,
            timestamp=x_careplane_timestamp,
            given=x_careplane_signature,
            body=body,
            now=time.time(),
            tolerance_seconds=settings.development_webhook_tolerance_seconds,
        )
    except DevelopmentRuleError as exc:
        if exc.code == WebhookTimestampInvalid.code:
            raise WebhookTimestampInvalid(str(exc)) from exc
        raise WebhookRefused(str(exc)) from exc
    try:
        fix = TrackerFix.model_validate_json(body)
    except ValidationError as exc:
        raise ValidationFailed(
            "The webhook's body is not a fix report.",
            details={"errors": exc.errors(include_url=False, include_input=False)},
        ) from exc
    moved, already = await service.tracker_fixed(
        session, outbox, issue_key=fix.issue_key, version=fix.version, note=fix.note, policy=policy
    )
    return TrackerFixResult(
        issue_key=fix.issue_key, version=fix.version, moved=moved, already=already
    )
