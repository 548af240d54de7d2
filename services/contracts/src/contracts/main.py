"""The contracts service: identity and tokens now; customers, plans, agreements,
quota, lifecycles, license keys and entitlement as the domain grows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from careplane_shared.app import create_service_app, start_outbox_relay
from careplane_shared.auth import StaticKeySource, TokenVerifier
from careplane_shared.events import Inbox, inbox_router
from contracts.config import ContractsSettings
from contracts.identity import service as identity_service
from contracts.identity.router import router as identity_router
from contracts.identity.signing import load_signing_key
from contracts.models import idempotency_keys, inbox_events, outbox_events

inbox = Inbox(inbox_events)


def create_app(settings: ContractsSettings | None = None) -> FastAPI:
    settings = settings or ContractsSettings()
    signing_key = load_signing_key(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with app.state.database.sessionmaker() as session, session.begin():
            await identity_service.sync_service_clients(session, settings)
        if settings.run_workers:
            start_outbox_relay(app, settings, outbox_events)
        yield

    app = create_service_app(
        settings,
        title="Careplane contracts",
        description="Customers, contacts, staff and API keys; tokens and JWKS.",
        routers=[identity_router, inbox_router(inbox)],
        lifespan=lifespan,
    )
    app.state.signing_key = signing_key
    app.state.idempotency_table = idempotency_keys
    # Contracts verifies the tokens it signs with the key it holds: no HTTP call to itself.
    app.state.token_verifier = TokenVerifier(
        StaticKeySource(signing_key.jwks),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )
    return app
