from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi import APIRouter, status

from careplane_shared.auth import CurrentPrincipal
from careplane_shared.db import DbSession
from careplane_shared.pagination import Page, PageParamsDep
from notify.deps import ScopeDep, SettingsDep
from notify.models import WebhookEndpoint
from notify.webhooks import service
from notify.webhooks.schemas import (
    WebhookEndpointCreate,
    WebhookEndpointRead,
    WebhookEndpointUpdate,
    WebhookEndpointWithSecret,
)

router = APIRouter(prefix="/v1/webhook-endpoints", tags=["webhooks"])


def _read(endpoint: WebhookEndpoint) -> WebhookEndpointRead:
    return WebhookEndpointRead.model_validate(
        {**endpoint.__dict__, "enabled": endpoint.disabled_at is None}
    )


def _with_secret(endpoint: WebhookEndpoint, secret: str) -> WebhookEndpointWithSecret:
    return WebhookEndpointWithSecret(**_read(endpoint).model_dump(), secret=secret)


@router.post(
    "",
    response_model=WebhookEndpointWithSecret,
    status_code=status.HTTP_201_CREATED,
    summary="Register a webhook endpoint.",
)
async def register_endpoint(
    body: WebhookEndpointCreate,
    session: DbSession,
    principal: CurrentPrincipal,
    scope: ScopeDep,
    settings: SettingsDep,
) -> WebhookEndpointWithSecret:
    """Registers a receiver for the given event types, signed with Standard Webhooks v1.
    The answer carries the endpoint's `whsec_` secret: the only time it is shown.
    Private, loopback, link-local and multicast targets are refused."""
    endpoint, secret = await service.register(
        session,
        principal,
        scope,
        body,
        allow_private=settings.allow_private_targets,
        box=settings.secret_box(),
        max_per_customer=settings.max_webhook_endpoints_per_customer,
    )
    return _with_secret(endpoint, secret)


@router.get("", response_model=Page[WebhookEndpointRead], summary="List webhook endpoints.")
async def list_endpoints(
    session: DbSession, scope: ScopeDep, page: PageParamsDep
) -> Page[WebhookEndpointRead]:
    """Staff see every endpoint; a customer's administrators and keys see their own."""
    rows, total = await service.list_endpoints(session, scope, limit=page.limit, offset=page.offset)
    return Page(items=[_read(r) for r in rows], total=total, limit=page.limit, offset=page.offset)


@router.get("/{endpoint_id}", response_model=WebhookEndpointRead, summary="One webhook endpoint.")
async def get_endpoint(
    endpoint_id: uuid.UUID, session: DbSession, scope: ScopeDep
) -> WebhookEndpointRead:
    """The endpoint without its secret."""
    return _read(await service.get(session, scope, endpoint_id))


@router.patch(
    "/{endpoint_id}", response_model=WebhookEndpointRead, summary="Change a webhook endpoint."
)
async def update_endpoint(
    endpoint_id: uuid.UUID,
    body: WebhookEndpointUpdate,
    session: DbSession,
    scope: ScopeDep,
    settings: SettingsDep,
) -> WebhookEndpointRead:
    """Changes the URL, event types or description; `enabled: true` re-enables an endpoint
    that was disabled (after a 410 or days of failures)."""
    endpoint = await service.update_endpoint(
        session, scope, endpoint_id, body, allow_private=settings.allow_private_targets
    )
    return _read(endpoint)


@router.post(
    "/{endpoint_id}/rotate-secret",
    response_model=WebhookEndpointWithSecret,
    summary="Rotate a webhook endpoint's secret.",
)
async def rotate_secret(
    endpoint_id: uuid.UUID, session: DbSession, scope: ScopeDep, settings: SettingsDep
) -> WebhookEndpointWithSecret:
    """Issues a new secret (shown only here). Until `previous_secret_expires_at`, every
    delivery carries two signatures, one per secret, so the receiver can switch over."""
    endpoint, secret = await service.rotate_secret(
        session,
        scope,
        endpoint_id,
        overlap=timedelta(hours=settings.secret_rotation_overlap_hours),
        box=settings.secret_box(),
    )
    return _with_secret(endpoint, secret)


@router.delete(
    "/{endpoint_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a webhook endpoint.",
)
async def delete_endpoint(endpoint_id: uuid.UUID, session: DbSession, scope: ScopeDep) -> None:
    """Its deliveries stay on record; those not yet delivered are marked failed."""
    await service.delete(session, scope, endpoint_id)
