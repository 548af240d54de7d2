"""The tickets service: cases, conversation, SLA clocks and timers, the triage queue."""

from __future__ import annotations

import contextlib
import random
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
from fastapi import FastAPI

from careplane_shared.app import create_service_app, start_outbox_relay
from careplane_shared.events import Inbox, inbox_router
from careplane_shared.http import ClientCredentialsAuth, create_http_client
from careplane_shared.sampled_metrics import outbox_probe
from careplane_shared.tracing import tracing_of
from tickets import handlers
from tickets.attachments.router import router as attachments_router
from tickets.attachments.s3 import s3_storage
from tickets.attachments.storage import LocalStorage
from tickets.clients.contracts import ContractsClient
from tickets.config import TicketsSettings
from tickets.development.router import router as development_router
from tickets.emergencies.router import router as emergencies_router
from tickets.escalation.router import router as escalation_router
from tickets.ideas.router import router as ideas_router
from tickets.inbound.app import start_inbound
from tickets.inbound.outbox import MailOutbox
from tickets.inbound.router import router as inbound_router
from tickets.knowledge.router import router as knowledge_router
from tickets.live import LivePublisher, create_live_hub
from tickets.live import router as live_router
from tickets.models import idempotency_keys, inbox_events, outbox_events
from tickets.oncall.router import router as oncall_router
from tickets.report.router import router as report_router
from tickets.simulate.router import router as simulate_router
from tickets.survey.router import router as survey_router
from tickets.survey.sampling import SamplingRule, SurveyPolicy
from tickets.survey.tokens import link_key
from tickets.ticket.policy import TicketPolicy
from tickets.ticket.recheck import run_recheck_worker
from tickets.ticket.router import router as ticket_router
from tickets.ticket.timers import run_timer_worker, sla_timer_lag_probe
from tickets.timeentries.router import router as time_entries_router
from tickets.visits.router import router as visits_router
from tickets.visits.worker import run_visit_worker

SOURCE = "tickets"


def create_app(
    settings: TicketsSettings | None = None,
    *,
    contracts_transport: httpx.AsyncBaseTransport | None = None,
    survey_draw: Callable[[], float] | None = None,
) -> FastAPI:
    """``contracts_transport`` lets tests run the real contracts app in-process;
    ``survey_draw`` decides the survey sampling's random draws (tests)."""
    settings = settings or TicketsSettings()
    survey_policy = SurveyPolicy(
        rule=SamplingRule(
            rate=settings.survey_rate, cooldown=timedelta(days=settings.survey_cooldown_days)
        ),
        draw=survey_draw or random.SystemRandom().random,
        link_lifetime=timedelta(days=settings.survey_link_days),
        link_base=settings.survey_link_base,
        key=link_key(settings.client_secret),
    )
    outbox = MailOutbox(
        outbox_events,
        source=SOURCE,
        destinations=settings.outbox_targets,
        event_types=settings.outbox_event_types,
    )
    inbox = Inbox(inbox_events)
    handlers.register(inbox, outbox)
    policy = TicketPolicy(
        number_prefix=settings.ticket_number_prefix,
        warning_fraction=settings.sla_warning_fraction,
        surveys=survey_policy,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Live case events for subscribers, notified in batches after their commits.
        outbox.publisher = LivePublisher(app.state.database.engine)
        app.state.workers.start("live-publisher", outbox.publisher.run, serves_requests=True)
        async with contextlib.AsyncExitStack() as stack:
            # Every live stream shares one LISTEN connection, opened by the first stream.
            app.state.live_hub = create_live_hub(settings)
            stack.push_async_callback(app.state.live_hub.close)
            app.state.workers.start("live-streams", app.state.live_hub.close_on)
            if settings.attachment_storage == "s3":
                # One S3 client for the app's lifetime, closed at shutdown.
                app.state.attachment_storage = await stack.enter_async_context(s3_storage(settings))
            http = create_http_client(
                settings,
                base_url=settings.contracts_url,
                transport=contracts_transport,
                auth=ClientCredentialsAuth(
                    settings.token_url, settings.client_id, settings.client_secret
                ),
                tracing=tracing_of(app),
            )
            stack.push_async_callback(http.aclose)
            app.state.contracts = ContractsClient(http)
            await start_inbound(app, settings, stack, outbox=outbox, policy=policy)
            if settings.run_workers:
                maker = app.state.database.sessionmaker
                if settings.outbox_targets:
                    start_outbox_relay(app, settings, outbox_events)
                app.state.workers.start(
                    "sla-timers",
                    lambda stop: run_timer_worker(
                        maker, outbox, stop, poll_seconds=settings.sla_timer_poll_seconds
                    ),
                )

                app.state.workers.start(
                    "visit-starts",
                    lambda stop: run_visit_worker(
                        maker, outbox, stop, poll_seconds=settings.visit_poll_seconds
                    ),
                )

                app.state.workers.start(
                    "entitlement-recheck",
                    lambda stop: run_recheck_worker(
                        maker,
                        outbox,
                        stop,
                        contracts=app.state.contracts,
                        policy=policy,
                        every_seconds=settings.entitlement_recheck_seconds,
                    ),
                )
            yield

    app = create_service_app(
        settings,
        title="Careplane tickets",
        scope_domain="tickets",
        description=(
            "Cases and their conversation, the status model, SLA clocks computed from each "
            "case's history, SLA warnings and breaches, and the triage queue."
        ),
        routers=[
            live_router,
            ticket_router,
            attachments_router,
            simulate_router,
            report_router,
            inbound_router,
            knowledge_router,
            ideas_router,
            development_router,
            survey_router,
            time_entries_router,
            escalation_router,
            visits_router,
            emergencies_router,
            oncall_router,
            inbox_router(inbox),
        ],
        lifespan=lifespan,
        probes=[outbox_probe(outbox_events, settings.outbox_targets), sla_timer_lag_probe],
    )
    app.state.outbox = outbox
    app.state.ticket_policy = policy
    app.state.survey_policy = survey_policy
    app.state.attachment_storage = LocalStorage(settings.attachments_dir)
    app.state.idempotency_table = idempotency_keys
    return app
