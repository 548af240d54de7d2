"""The gateway: GraphQL over the services' REST APIs, and those APIs under one origin.
It owns no data and no business rule."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

from fastapi import FastAPI
from starlette.middleware import Middleware

from careplane_gateway.config import GatewaySettings
from careplane_gateway.graphql.router import graphql_router
from careplane_gateway.guard import GatewayGuard
from careplane_gateway.limits import RequestLimiter
from careplane_gateway.proxy import router as proxy_router
from careplane_gateway.services import ContractsJWKS, ServiceTransports, open_service_clients
from careplane_shared.app import create_service_app
from careplane_shared.auth import TokenVerifier
from careplane_shared.tracing import tracing_of

# Allocations (less deallocations) between two young collections: Python's 700 had the
# collector run ~200 times a second under load, each run promoting what a request still held.
YOUNG_COLLECTION_THRESHOLD = 10_000


@contextmanager
def tuned_collector() -> Iterator[None]:
    """The garbage collector set for a server that allocates much per request on a large,
    lasting heap. What the process has made by the time it serves (its modules, the GraphQL
    schema, the clients) lives as long as it does: frozen (``gc.freeze``), a full collection
    no longer walks it; and the young generation is collected after ``YOUNG_COLLECTION_
    THRESHOLD`` allocations, not 700. Collections took a fifth of the gateway's CPU under load
    (a full one ~110 ms); with both, under a tenth, and a page of 50 cases a third less CPU.
    Undone when the app stops: an app started and stopped in a test leaves nothing
    uncollectable behind."""
    threshold = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def create_app(
    settings: GatewaySettings | None = None, *, transports: ServiceTransports | None = None
) -> FastAPI:
    """``transports`` (by service name) replaces the network, e.g. with an
    ``httpx.ASGITransport`` over a service running in the same process in tests."""
    settings = settings or GatewaySettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        limiter = RequestLimiter.from_settings(settings)
        app.state.request_limiter = limiter
        try:
            async with open_service_clients(settings, transports, tracing_of(app)) as clients:
                app.state.service_clients = clients
                with tuned_collector():
                    yield
        finally:
            await limiter.aclose()

    app = create_service_app(
        settings,
        title="Careplane gateway",
        description=(
            "GraphQL at `/graphql` over the tickets, contracts and notify services; their REST "
            "APIs under `/api/{service}/...`; tokens at `/auth/token`."
        ),
        routers=[graphql_router(settings), proxy_router],
        lifespan=lifespan,
        guard_requests=False,  # careplane_gateway.guard does this job with the gateway's own limits
    )
    # Tokens are verified here too, before a body is read (careplane_gateway.guard), with the keys
    # contracts publishes, fetched through the gateway's contracts client.
    app.state.token_verifier = TokenVerifier(
        ContractsJWKS(app.state, settings.jwks_url, settings.jwks_cache_seconds),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )
    # Innermost, inside the shared request-id middleware: its answers carry the
    # request id (add_middleware would put it outside everything).
    app.user_middleware.append(Middleware(GatewayGuard, settings=settings))
    return app
