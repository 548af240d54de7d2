"""The notify service: event intake and reliable deliveries (as the domain grows)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from careplane_shared.app import create_service_app, start_outbox_relay
from careplane_shared.events import Inbox, inbox_router
from notify.config import NotifySettings
from notify.models import idempotency_keys, inbox_events, outbox_events

inbox = Inbox(inbox_events)


def create_app(settings: NotifySettings | None = None) -> FastAPI:
    settings = settings or NotifySettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.run_workers and settings.outbox_targets:
            start_outbox_relay(app, settings, outbox_events)
        yield

    app = create_service_app(
        settings,
        title="Careplane notify",
        description="Event intake, deliveries by email, webhooks and chat tools.",
        routers=[inbox_router(inbox)],
        lifespan=lifespan,
    )
    app.state.idempotency_table = idempotency_keys
    return app
