"""The contracts service: identity and tokens, customers and support centers, products and
lifecycles, plans, agreements and the quota ledger, license keys, entitlement, billing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from careplane_shared.app import create_service_app, start_outbox_relay
from careplane_shared.auth import StaticKeySource, TokenVerifier
from careplane_shared.events import Inbox, Outbox, inbox_router
from careplane_shared.sampled_metrics import outbox_probe
from contracts import handlers
from contracts.agreements.router import router as agreements_router
from contracts.billing.router import router as billing_router
from contracts.config import ContractsSettings
from contracts.csm.router import router as csm_router
from contracts.customers.router import router as customers_router
from contracts.entitlement.router import router as entitlement_router
from contracts.identity import service as identity_service
from contracts.identity.router import router as identity_router
from contracts.identity.signing import load_signing_key
from contracts.included.router import router as included_router
from contracts.licensing.router import router as licensing_router
from contracts.licensing.service import load_license_signing_key
from contracts.models import idempotency_keys, inbox_events, outbox_events
from contracts.plans.router import router as plans_router
from contracts.products.router import router as products_router

SOURCE = "contracts"


def create_app(settings: ContractsSettings | None = None) -> FastAPI:
    settings = settings or ContractsSettings()
    signing_key = load_signing_key(settings)
    outbox = Outbox(
        outbox_events,
        source=SOURCE,
        destinations=settings.outbox_targets,
        event_types=settings.outbox_event_types,
    )
    inbox = Inbox(inbox_events)
    handlers.register(inbox, outbox)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with app.state.database.sessionmaker() as session, session.begin():
            await identity_service.sync_service_clients(session, settings)
        if settings.run_workers and settings.outbox_targets:
            start_outbox_relay(app, settings, outbox_events)
        yield

    app = create_service_app(
        settings,
        title="Careplane contracts",
        scope_domain="contracts",
        description=(
            "Who is entitled to what: customers and contacts, support centers, products and "
            "their lifecycles, plans, agreements and ticket quotas, license keys, the "
            "entitlement check and billable items. Also issues the tokens every piece verifies."
        ),
        routers=[
            identity_router,
            customers_router,
            products_router,
            plans_router,
            agreements_router,
            entitlement_router,
            licensing_router,
            billing_router,
            csm_router,
            included_router,
            inbox_router(inbox),
        ],
        lifespan=lifespan,
        probes=[outbox_probe(outbox_events, settings.outbox_targets)],
    )
    app.state.signing_key = signing_key
    app.state.license_signing_key = load_license_signing_key(settings)
    app.state.outbox = outbox
    # Invitation tokens travel to notify (which mails them) and to no other piece.
    app.state.invitation_outbox = Outbox(
        outbox_events,
        source=SOURCE,
        destinations={k: v for k, v in settings.outbox_targets.items() if k == "notify"},
        event_types=settings.outbox_event_types,
    )
    app.state.idempotency_table = idempotency_keys
    # Contracts verifies the tokens it signs with the key it holds: no HTTP call to itself.
    app.state.token_verifier = TokenVerifier(
        StaticKeySource(signing_key.jwks),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )
    return app
