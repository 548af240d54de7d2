"""The services behind the gateway and the HTTP clients that reach them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import httpx
from starlette.datastructures import State

from careplane_gateway.config import GatewaySettings
from careplane_shared.auth import KeySource, RemoteJWKS
from careplane_shared.http import create_http_client


class ServiceName(StrEnum):
    TICKETS = "tickets"
    CONTRACTS = "contracts"
    NOTIFY = "notify"


# Transports by service name, for tests that run a service in-process (httpx.ASGITransport).
ServiceTransports = Mapping[str, httpx.AsyncBaseTransport]


@dataclass(frozen=True, slots=True)
class ServiceClients:
    """One shared client per service for the life of the process (pooled connections)."""

    clients: Mapping[ServiceName, httpx.AsyncClient]

    def __getitem__(self, service: ServiceName) -> httpx.AsyncClient:
        return self.clients[service]

    def named(self, name: str) -> tuple[ServiceName, httpx.AsyncClient] | None:
        """The service called ``name`` in a URL, if there is one."""
        try:
            service = ServiceName(name)
        except ValueError:
            return None
        return service, self.clients[service]


@asynccontextmanager
async def open_service_clients(
    settings: GatewaySettings, transports: ServiceTransports | None = None
) -> AsyncIterator[ServiceClients]:
    transports = transports or {}
    urls = settings.service_urls()
    clients = {
        service: create_http_client(
            settings, base_url=urls[service], transport=transports.get(service)
        )
        for service in ServiceName
    }
    try:
        yield ServiceClients(clients)
    finally:
        await asyncio.gather(*(client.aclose() for client in clients.values()))


class ContractsJWKS(KeySource):
    """The keys that verify tokens (``jwks_url``), fetched with the client the gateway keeps
    for contracts, which serves them: its pool and timeouts, and in tests the in-process
    contracts. Cached and refreshed as ``RemoteJWKS`` does."""

    def __init__(self, state: State, url: str, cache_seconds: int) -> None:
        self._state = state
        self._url = url
        self._cache_seconds = cache_seconds
        self._remote: RemoteJWKS | None = None

    async def key_for(self, kid: str | None) -> Any:
        if self._remote is None:
            clients: ServiceClients = self._state.service_clients
            self._remote = RemoteJWKS(
                self._url, clients[ServiceName.CONTRACTS], self._cache_seconds
            )
        return await self._remote.key_for(kid)
