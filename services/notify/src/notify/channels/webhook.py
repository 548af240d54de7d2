"""Signed webhooks to integrations (Standard Webhooks v1, docs/api.md)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.events import CloudEvent
from notify.channels.base import Channel, DeliveryJob, Outcome
from notify.channels.http import post
from notify.encryption import SecretBox, SecretUnreadable
from notify.models import WebhookEndpoint
from notify.webhooks.signing import webhook_headers

log = structlog.get_logger(__name__)


def webhook_body(job: DeliveryJob) -> bytes:
    """``{"type", "timestamp", "data"}``: the same bytes on every retry of a delivery."""
    document: dict[str, Any] = {
        "type": job.event_type,
        "timestamp": job.event_time.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "data": job.payload.get("data", {}),
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def valid_secrets(endpoint: WebhookEndpoint, now: datetime, box: SecretBox) -> list[str]:
    """The current secret, and the previous one while the rotation overlap lasts (both
    stored sealed: opened here, only for signing)."""
    secrets = [box.open(endpoint.secret)]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and expires > now:
        secrets.append(box.open(endpoint.previous_secret))
    return secrets


class WebhookChannel(Channel):
    kind = "webhook"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._endpoints: dict[uuid.UUID, WebhookEndpoint] = {}

    async def prepare(self, session: AsyncSession, jobs: Sequence[DeliveryJob]) -> None:
        ids = {job.endpoint_id for job in jobs if job.endpoint_id is not None}
        rows = await session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.id.in_(ids)))
        self._endpoints = {row.id: row for row in rows}

    async def deliver(self, job: DeliveryJob) -> Outcome:
        endpoint = self._endpoints.get(job.endpoint_id) if job.endpoint_id else None
        if endpoint is None:
            return Outcome.failure("The webhook endpoint was deleted.", permanent=True)
        if endpoint.disabled_at is not None:
            return Outcome.failure(
                f"The webhook endpoint is disabled: {endpoint.disabled_reason}", permanent=True
            )
        body = webhook_body(job)
        try:
            secrets = valid_secrets(endpoint, datetime.now(UTC), self.settings.secret_box())
        except SecretUnreadable as exc:
            # A key was dropped before its rows were resealed: retrying after the operator
            # restores it delivers; nothing unsigned ever leaves.
            return Outcome.failure(str(exc))
        # webhook-id is the event id: stable across retries and resends, and the same for
        # every endpoint, so a receiver can dedupe and correlate with our API.
        headers = webhook_headers(secrets, job.event_id, int(time.time()), body)
        outcome, _ = await post(self.services.http, endpoint.url, body, headers, self.settings)
        return outcome

    async def after(
        self, session: AsyncSession, results: Sequence[tuple[DeliveryJob, Outcome]]
    ) -> None:
        succeeded = {j.endpoint_id for j, o in results if o.ok and j.endpoint_id}
        failed = {j.endpoint_id for j, o in results if not o.ok and j.endpoint_id} - succeeded
        gone = {j.endpoint_id: o for j, o in results if "disable_reason" in o.extra}
        t = WebhookEndpoint
        if succeeded:
            await session.execute(
                update(t)
                .where(t.id.in_(succeeded), t.failing_since.is_not(None))
                .values(failing_since=None)
            )
        if failed:
            await session.execute(
                update(t)
                .where(t.id.in_(failed), t.failing_since.is_(None))
                .values(failing_since=func.now())
            )
            cutoff = datetime.now(UTC) - timedelta(days=self.settings.webhook_auto_disable_days)
            disabled = await session.execute(
                update(t)
                .where(t.id.in_(failed), t.disabled_at.is_(None), t.failing_since < cutoff)
                .values(
                    disabled_at=func.now(),
                    disabled_reason=(
                        "Every delivery failed for "
                        f"{self.settings.webhook_auto_disable_days:g} days."
                    ),
                )
                .returning(t.id, t.customer_id, t.url, t.disabled_at, t.disabled_reason)
            )
            for row in disabled.all():
                await self._tell_the_owner(session, row)
        for endpoint_id, outcome in gone.items():
            await session.execute(
                update(t)
                .where(t.id == endpoint_id, t.disabled_at.is_(None))
                .values(disabled_at=func.now(), disabled_reason=outcome.extra["disable_reason"])
            )

    async def _tell_the_owner(self, session: AsyncSession, endpoint: Any) -> None:
        """Once per auto-disable (the event id names the moment it was disabled): the
        customer's administrators for its own endpoint, staff for a global one (the event
        goes back to routing through the services' ``raise_event``)."""
        disabled_at: datetime = endpoint.disabled_at
        event = CloudEvent(
            id=f"webhook_endpoint.disabled:{endpoint.id}:{disabled_at.isoformat()}",
            source="notify",
            type="webhook_endpoint.disabled",
            time=disabled_at,
            data={
                "endpoint_id": str(endpoint.id),
                "customer_id": str(endpoint.customer_id) if endpoint.customer_id else None,
                "endpoint_url": endpoint.url,
                "disabled_at": disabled_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                "disabled_reason": endpoint.disabled_reason,
            },
        )
        await self.services.raise_event(session, event)
        log.warning(
            "webhook_endpoint_auto_disabled",
            endpoint_id=str(endpoint.id),
            customer_id=str(endpoint.customer_id) if endpoint.customer_id else None,
        )
