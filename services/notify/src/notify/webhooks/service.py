"""Webhook endpoints: register, list, update, rotate the secret, delete."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.auth import Principal
from notify.access import Scope
from notify.encryption import SecretBox
from notify.models import Delivery, WebhookEndpoint
from notify.webhooks.exceptions import WebhookEndpointLimitReached, WebhookEndpointNotFound
from notify.webhooks.schemas import WebhookEndpointCreate, WebhookEndpointUpdate
from notify.webhooks.signing import new_secret
from notify.webhooks.ssrf import registered_url


async def ensure_room(session: AsyncSession, customer_id: uuid.UUID, limit: int) -> None:
    """WebhookEndpointLimitReached when the customer already has ``limit`` endpoints. The
    count is taken under a lock per customer held to the end of the transaction, so two
    registrations at once cannot both take the last place."""
    await session.execute(
        select(func.pg_advisory_xact_lock(func.hashtext(f"notify.webhook_endpoints:{customer_id}")))
    )
    count = await session.scalar(
        select(func.count())
        .select_from(WebhookEndpoint)
        .where(WebhookEndpoint.customer_id == customer_id)
    )
    if (count or 0) >= limit:
        raise WebhookEndpointLimitReached(details={"limit": limit})


def _unique(types: list[str]) -> list[str]:
    return sorted(set(types))


async def register(
    session: AsyncSession,
    principal: Principal,
    scope: Scope,
    body: WebhookEndpointCreate,
    *,
    allow_private: bool,
    box: SecretBox,
    max_per_customer: int,
) -> tuple[WebhookEndpoint, str]:
    """The new endpoint and its secret (stored sealed, shown once). A customer has at most
    ``max_per_customer`` endpoints (global ones, of no customer, are not counted)."""
    customer_id = body.customer_id if scope.everyone else scope.customer_id
    if customer_id is not None:
        await ensure_room(session, customer_id, max_per_customer)
    secret = new_secret()
    endpoint = WebhookEndpoint(
        id=uuid.uuid4(),
        customer_id=customer_id,
        url=registered_url(body.url, allow_private=allow_private),
        description=body.description,
        event_types=_unique(body.event_types),
        secret=box.seal(secret),
        created_by=principal.email or principal.subject,
    )
    session.add(endpoint)
    await session.flush()
    await session.refresh(endpoint)
    return endpoint, secret


async def get(session: AsyncSession, scope: Scope, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    endpoint = await session.get(WebhookEndpoint, endpoint_id)
    # Another customer's endpoint is "not found", never "forbidden".
    if endpoint is None or not scope.allows(endpoint.customer_id):
        raise WebhookEndpointNotFound()
    return endpoint


async def list_endpoints(
    session: AsyncSession, scope: Scope, *, limit: int, offset: int
) -> tuple[list[WebhookEndpoint], int]:
    query = select(WebhookEndpoint)
    if not scope.everyone:
        query = query.where(WebhookEndpoint.customer_id == scope.customer_id)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(WebhookEndpoint.created_at, WebhookEndpoint.id).limit(limit).offset(offset)
    )
    return list(rows), total or 0


async def update_endpoint(
    session: AsyncSession,
    scope: Scope,
    endpoint_id: uuid.UUID,
    body: WebhookEndpointUpdate,
    *,
    allow_private: bool,
) -> WebhookEndpoint:
    endpoint = await get(session, scope, endpoint_id)
    if body.url is not None:
        endpoint.url = registered_url(body.url, allow_private=allow_private)
    if body.event_types is not None:
        endpoint.event_types = _unique(body.event_types)
    if "description" in body.model_fields_set:
        endpoint.description = body.description
    if body.enabled is True:
        endpoint.disabled_at = None
        endpoint.disabled_reason = None
        endpoint.failing_since = None
    elif body.enabled is False and endpoint.disabled_at is None:
        endpoint.disabled_at = datetime.now(UTC)
        endpoint.disabled_reason = "Disabled by its owner."
    await session.flush()
    await session.refresh(endpoint)
    return endpoint


async def rotate_secret(
    session: AsyncSession,
    scope: Scope,
    endpoint_id: uuid.UUID,
    *,
    overlap: timedelta,
    box: SecretBox,
) -> tuple[WebhookEndpoint, str]:
    """A new secret; the old one keeps signing too (a second signature) until the overlap
    ends, so receivers can switch without losing a delivery. Both are stored sealed with
    the current key."""
    endpoint = await get(session, scope, endpoint_id)
    secret = new_secret()
    endpoint.previous_secret = box.reseal(endpoint.secret)
    endpoint.previous_secret_expires_at = datetime.now(UTC) + overlap
    endpoint.secret = box.seal(secret)
    await session.flush()
    await session.refresh(endpoint)
    return endpoint, secret


async def delete(session: AsyncSession, scope: Scope, endpoint_id: uuid.UUID) -> None:
    """Deletes the endpoint; its unsent deliveries fail with the reason (kept, not lost)."""
    endpoint = await get(session, scope, endpoint_id)
    d = Delivery
    await session.execute(
        update(d)
        .where(d.endpoint_id == endpoint.id, d.status.in_(("pending", "delivering")))
        .values(
            status="failed",
            last_error="The webhook endpoint was deleted.",
            locked_by=None,
            locked_until=None,
        )
    )
    await session.delete(endpoint)
    await session.flush()
