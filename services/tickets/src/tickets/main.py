"""The tickets service: cases, conversation, SLA clocks and timers (as the domain grows)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from careplane_shared.app import create_service_app, start_outbox_relay
from careplane_shared.events import Inbox, inbox_router
from tickets.config import TicketsSettings
from tickets.models import idempotency_keys, inbox_events, outbox_events

inbox = Inbox(inbox_events)


def create_app(settings: TicketsSettings | None = None) -> FastAPI:
    settings = settings or TicketsSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.run_workers and settings.outbox_targets:
            start_outbox_relay(app, settings, outbox_events)
        yield

    app = create_service_app(
        settings,
        title="Careplane tickets",
        description="Cases, conversation, SLA clocks and timers.",
        routers=[inbox_router(inbox)],
        lifespan=lifespan,
    )
    app.state.idempotency_table = idempotency_keys
    return app
