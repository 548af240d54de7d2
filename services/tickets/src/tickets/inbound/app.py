"""The mail intake inside the tickets app: reply addresses on its events, the intake
worker (every process, with ``run_workers``) and the SMTP listener (the one process that
binds ``inbound_smtp_port``, when it is set)."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

from fastapi import FastAPI

from tickets.config import TicketsSettings
from tickets.inbound.deliver import Services
from tickets.inbound.intake import IntakeConfig, run_intake_worker
from tickets.inbound.outbox import MailOutbox
from tickets.inbound.smtp import IntakeHandler, smtp_listener
from tickets.inbound.tokens import ReplyAddresses
from tickets.ticket.policy import TicketPolicy


def services_of(
    app: FastAPI, settings: TicketsSettings, outbox: MailOutbox, policy: TicketPolicy
) -> Services:
    return Services(
        outbox=outbox,
        contracts=app.state.contracts,
        policy=policy,
        storage=app.state.attachment_storage,
        attachment_limit=settings.attachment_max_bytes,
        reopen_window=timedelta(days=settings.reopen_window_days),
    )


def handler_of(app: FastAPI, settings: TicketsSettings) -> IntakeHandler:
    return IntakeHandler(
        app.state.database.sessionmaker,
        support_address=settings.inbound_support_address,
        bounce_address=settings.inbound_bounce_address,
        on_stored=app.state.inbound_wake.set,
    )


async def start_inbound(
    app: FastAPI,
    settings: TicketsSettings,
    stack: contextlib.AsyncExitStack,
    *,
    outbox: MailOutbox,
    policy: TicketPolicy,
) -> None:
    outbox.reply_addresses = ReplyAddresses(
        settings.inbound_support_address.lower(), settings.inbound_reply_secret
    )
    services = services_of(app, settings, outbox, policy)
    config = IntakeConfig.of(settings)
    app.state.inbound_services = services
    app.state.inbound_config = config
    app.state.inbound_wake = wake = asyncio.Event()
    if settings.run_workers:
        maker = app.state.database.sessionmaker
        app.state.workers.start(
            "mail-intake",
            lambda stop: run_intake_worker(
                maker, services, config, stop, wake, poll_seconds=settings.inbound_poll_seconds
            ),
        )
    if settings.inbound_smtp_port is not None:
        await stack.enter_async_context(
            smtp_listener(
                handler_of(app, settings),
                host=settings.inbound_smtp_host,
                port=settings.inbound_smtp_port,
                max_bytes=settings.inbound_max_message_bytes,
                stop=app.state.workers.stop,
                drain_seconds=settings.inbound_smtp_drain_seconds,
                notes=app.state.shutdown_notes,
            )
        )
