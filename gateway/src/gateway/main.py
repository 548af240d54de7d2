"""The gateway: GraphQL over the services' REST APIs, and those APIs under one origin.
It owns no data and no business rule."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from careplane_shared.app import create_service_app
from gateway.config import GatewaySettings
from gateway.graphql.router import graphql_router
from gateway.proxy import router as proxy_router
from gateway.services import ServiceTransports, open_service_clients


def create_app(
    settings: GatewaySettings | None = None, *, transports: ServiceTransports | None = None
) -> FastAPI:
    """``transports`` (by service name) replaces the network, e.g. with an
    ``httpx.ASGITransport`` over a service running in the same process in tests."""
    settings = settings or GatewaySettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_service_clients(settings, transports) as clients:
            app.state.service_clients = clients
            yield

    return create_service_app(
        settings,
        title="Careplane gateway",
        description=(
            "GraphQL at `/graphql` over the tickets, contracts and notify services; their REST "
            "APIs under `/api/{service}/...`; tokens at `/auth/token`."
        ),
        routers=[graphql_router(settings), proxy_router],
        lifespan=lifespan,
    )
