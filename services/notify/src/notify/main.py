"""The notify service: event intake and routing, the delivery queue and its workers, signed
webhooks, email, chat tools, lifecycle announcement schedules."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

import httpx
from fastapi import FastAPI

from careplane_shared.app import create_service_app, start_outbox_relay
from careplane_shared.events import CloudEvent, Inbox, inbox_router
from careplane_shared.http import ClientCredentialsAuth, ForwardCallerAuth, create_http_client
from careplane_shared.sampled_metrics import outbox_probe
from careplane_shared.tracing import tracer_of, tracing_of
from notify.announcements.router import router as announcements_router
from notify.channels.base import ChannelServices
from notify.channels.http import create_target_client
from notify.channels.registry import build_channels
from notify.chat.router import router as chat_router
from notify.clients.contracts import ContractsClient
from notify.clients.tickets import TicketsClient
from notify.config import NotifySettings
from notify.deliveries.metrics import delivery_backlog_probe
from notify.deliveries.router import router as deliveries_router
from notify.deliveries.worker import DeliveryWorker
from notify.digest.router import router as digest_router
from notify.encryption import reseal_in_background
from notify.jobs import ScheduledJobs
from notify.mail.devbox import router as mailbox_router
from notify.mail.devbox import start_dev_mailbox
from notify.mail.sender import MailSender
from notify.maintenance.router import router as maintenance_router
from notify.models import idempotency_keys, inbox_events, outbox_events
from notify.preferences.router import router as preferences_router
from notify.routing import route_event
from notify.webhooks.router import router as webhooks_router


def create_app(
    settings: NotifySettings | None = None,
    *,
    contracts_transport: httpx.AsyncBaseTransport | None = None,
    tickets_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """``contracts_transport`` and ``tickets_transport`` let tests run the real contracts
    and tickets apps in-process."""
    settings = settings or NotifySettings()

    async def route(session: object, event: CloudEvent) -> None:
        await route_event(session, event, settings)  # type: ignore[arg-type]

    inbox = Inbox(inbox_events, default=route)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        mailbox = None
        if settings.dev_mailbox_dir is not None:
            mailbox = await asyncio.to_thread(
                start_dev_mailbox, settings.dev_mailbox_dir, settings.smtp_host, settings.smtp_port
            )
        contracts_http = create_http_client(
            settings,
            base_url=settings.contracts_url,
            transport=contracts_transport,
            auth=ClientCredentialsAuth(
                settings.token_url, settings.client_id, settings.client_secret
            ),
            tracing=tracing_of(app),
        )
        # Asked on behalf of the caller (its own token): may it see this case?
        tickets_http = create_http_client(
            settings,
            base_url=settings.tickets_url,
            transport=tickets_transport,
            auth=ForwardCallerAuth(),
            tracing=tracing_of(app),
        )
        app.state.tickets = TicketsClient(tickets_http)
        targets = create_target_client(settings)
        contracts = ContractsClient(
            contracts_http,
            cache_seconds=settings.contact_cache_seconds,
            cache_size=settings.contact_cache_size,
        )
        app.state.contracts = contracts
        mail = MailSender(settings)
        services = ChannelServices(
            settings=settings,
            http=targets,
            # An event a channel raises (an endpoint disabled) is routed like any other.
            raise_event=route,
            contracts=contracts,
            mail=mail,
        )
        app.state.channel_services = services
        app.state.delivery_worker = DeliveryWorker(
            app.state.database.sessionmaker,
            build_channels(services),
            settings,
            tracer=tracer_of(app),
        )
        app.state.jobs = ScheduledJobs(
            app.state.database.sessionmaker,
            contracts,
            settings,
            worker_id=app.state.delivery_worker.worker_id,
        )
        if settings.run_workers:
            if settings.outbox_targets:
                start_outbox_relay(app, settings, outbox_events)
            app.state.workers.start("deliveries", app.state.delivery_worker.run_forever)
            app.state.workers.start("scheduled-jobs", app.state.jobs.run_forever)
            app.state.workers.start(
                "reseal-secrets",
                partial(
                    reseal_in_background, app.state.database.sessionmaker, settings.secret_box()
                ),
            )
        try:
            yield
        finally:
            await mail.aclose()
            await targets.aclose()
            await contracts_http.aclose()
            await tickets_http.aclose()
            if mailbox is not None:
                await asyncio.to_thread(mailbox.stop)

    app = create_service_app(
        settings,
        title="Careplane notify",
        scope_domain="notify",
        description=(
            "Event intake and routing; every delivery (email, signed webhooks, chat tools) "
            "recorded with its attempts, retried on the Standard Webhooks schedule, and "
            "never silently lost."
        ),
        routers=[
            inbox_router(inbox),
            webhooks_router,
            deliveries_router,
            chat_router,
            announcements_router,
            maintenance_router,
            preferences_router,
            digest_router,
            mailbox_router,
        ],
        lifespan=lifespan,
        probes=[outbox_probe(outbox_events, settings.outbox_targets), delivery_backlog_probe],
    )
    app.state.inbox = inbox
    app.state.idempotency_table = idempotency_keys
    return app
