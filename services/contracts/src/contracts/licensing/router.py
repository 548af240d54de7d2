from __future__ import annotations

import uuid
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import APIRouter, Request, status
from fastapi.responses import PlainTextResponse

from careplane_shared.auth import READS_ONLY, CurrentPrincipal
from careplane_shared.db import DbSession
from careplane_shared.pagination import Page, PageParamsDep
from contracts.deps import CustomerIds, OutboxDep, Staff
from contracts.licensing import service
from contracts.licensing.schemas import (
    KeyStatus,
    LicenseKeyIssue,
    LicenseKeyRead,
    LicenseKeyStatusChange,
    ValidateRequest,
    ValidateResponse,
    ValidationCode,
)

router = APIRouter(prefix="/v1/license-keys", tags=["license keys"])


def _signing_key(request: Request) -> Ed25519PrivateKey:
    key: Ed25519PrivateKey = request.app.state.license_signing_key
    return key


@router.get(
    "/public-key",
    response_class=PlainTextResponse,
    summary="The Ed25519 public key (PEM) that verifies license keys offline.",
)
async def public_key(request: Request, _: CurrentPrincipal) -> str:
    return service.public_key_pem(_signing_key(request))


@router.post(
    "/validate",
    response_model=ValidateResponse,
    openapi_extra=READS_ONLY,
    summary="Check a license key for a product version.",
)
async def validate(
    request: Request, session: DbSession, principal: CurrentPrincipal, body: ValidateRequest
) -> ValidateResponse:
    """Always 200: `valid` and a `code` (VALID, NOT_FOUND, SUSPENDED, REVOKED, EXPIRED,
    VERSION_MISMATCH, BAD_SIGNATURE). A customer's caller learns nothing of other
    customers' keys (NOT_FOUND)."""
    answer = await service.validate(session, _signing_key(request), body, datetime.now(UTC))
    if answer.customer_id is not None and not principal.can_access_customer(answer.customer_id):
        return ValidateResponse(valid=False, code=ValidationCode.NOT_FOUND)
    return answer


@router.get("", response_model=Page[LicenseKeyRead], summary="List license keys.")
async def list_keys(
    session: DbSession,
    principal: CurrentPrincipal,
    page: PageParamsDep,
    customer_id: CustomerIds = None,
    product_id: uuid.UUID | None = None,
    status: KeyStatus | None = None,
) -> Page[LicenseKeyRead]:
    items, total = await service.list_keys(
        session,
        principal,
        customer_ids=customer_id,
        product_id=product_id,
        status=status,
        limit=page.limit,
        offset=page.offset,
    )
    return page.of([LicenseKeyRead.model_validate(k) for k in items], total)


@router.post(
    "",
    response_model=LicenseKeyRead,
    status_code=status.HTTP_201_CREATED,
    summary="Issue a key for a customer, product and major version.",
)
async def issue(
    request: Request, session: DbSession, outbox: OutboxDep, principal: Staff, body: LicenseKeyIssue
) -> LicenseKeyRead:
    """Bound to an agreement, the key expires with it. Key requests arrive as tickets of
    type key request; pass `request_ticket_id` to link the fulfilment."""
    key = await service.issue(session, outbox, principal, _signing_key(request), body)
    return LicenseKeyRead.model_validate(key)


@router.get("/{key_id}", response_model=LicenseKeyRead, summary="One license key.")
async def get_key(
    session: DbSession, principal: CurrentPrincipal, key_id: uuid.UUID
) -> LicenseKeyRead:
    return LicenseKeyRead.model_validate(await service.get_key(session, principal, key_id))


@router.post("/{key_id}/suspend", response_model=LicenseKeyRead, summary="Suspend a key.")
async def suspend(
    session: DbSession,
    outbox: OutboxDep,
    principal: Staff,
    key_id: uuid.UUID,
    body: LicenseKeyStatusChange,
) -> LicenseKeyRead:
    key = await service.change_status(session, outbox, principal, key_id, "suspend", body.reason)
    return LicenseKeyRead.model_validate(key)


@router.post("/{key_id}/resume", response_model=LicenseKeyRead, summary="Lift a suspension.")
async def resume(
    session: DbSession,
    outbox: OutboxDep,
    principal: Staff,
    key_id: uuid.UUID,
    body: LicenseKeyStatusChange,
) -> LicenseKeyRead:
    key = await service.change_status(session, outbox, principal, key_id, "resume", body.reason)
    return LicenseKeyRead.model_validate(key)


@router.post("/{key_id}/revoke", response_model=LicenseKeyRead, summary="Revoke a key for good.")
async def revoke(
    session: DbSession,
    outbox: OutboxDep,
    principal: Staff,
    key_id: uuid.UUID,
    body: LicenseKeyStatusChange,
) -> LicenseKeyRead:
    key = await service.change_status(session, outbox, principal, key_id, "revoke", body.reason)
    return LicenseKeyRead.model_validate(key)


@router.post(
    "/{key_id}/reissue",
    response_model=LicenseKeyRead,
    status_code=status.HTTP_201_CREATED,
    summary="Replace a key with a new one (the old one is revoked).",
)
async def reissue(
    request: Request,
    session: DbSession,
    outbox: OutboxDep,
    principal: Staff,
    key_id: uuid.UUID,
    body: LicenseKeyStatusChange,
) -> LicenseKeyRead:
    key = await service.reissue(
        session, outbox, principal, _signing_key(request), key_id, body.reason
    )
    return LicenseKeyRead.model_validate(key)
