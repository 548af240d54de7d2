"""The services behind the gateway and the HTTP clients that reach them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import httpx
from httpx_aiohttp import AiohttpTransport
from starlette.datastructures import State

from careplane_gateway.config import GatewaySettings
from careplane_shared.auth import KeySource, RemoteJWKS
from careplane_shared.context import request_id_var
from careplane_shared.http import RetryingTransport, create_http_client
from careplane_shared.tracing import Tracing


class ServiceName(StrEnum):
    TICKETS = "tickets"
    CONTRACTS = "contracts"
    NOTIFY = "notify"


# Transports by service name, for tests that run a service in-process (httpx.ASGITransport).
ServiceTransports = Mapping[str, httpx.AsyncBaseTransport]


class ServiceHop:
    """One service as the gateway's busy paths reach it (the REST proxy, GraphQL's calls): a
    request goes straight to the transport under the service's client, so the same pool,
    the same retries and, in tests, the same in-process app, with the request id as the
    client's hook adds it.

    Not through the client: its cookie jar, auth flow, redirect loop, hooks and default
    headers are of no use to a relay of the caller's own request, and cost more than the
    I/O of a small call (a third of the gateway's CPU for a REST read, once tokens were
    verified from cache)."""

    def __init__(
        self, base_url: str, transport: httpx.AsyncBaseTransport, timeout: httpx.Timeout
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.transport = transport
        self.timeout = timeout.as_dict()

    def request(
        self,
        method: str,
        target: str,
        *,
        headers: Sequence[tuple[bytes, bytes]] | Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: bytes | AsyncIterator[bytes] | None = None,
    ) -> httpx.Request:
        """A request for ``target`` (a path, with its query string as the caller encoded
        it) at the service."""
        request = httpx.Request(
            method,
            self.base_url + target,
            params=params,
            headers=headers,
            json=json,
            content=content,
            extensions={"timeout": self.timeout},
        )
        request_id = request_id_var.get()
        if request_id and "x-request-id" not in request.headers:
            request.headers["x-request-id"] = request_id
        return request

    async def send(self, request: httpx.Request) -> httpx.Response:
        """The answer, its body still to be read (and the answer closed) by the caller."""
        return await self.transport.handle_async_request(request)

    async def fetch(self, request: httpx.Request) -> httpx.Response:
        """The answer, read whole."""
        response = await self.send(request)
        try:
            await response.aread()
        finally:
            await response.aclose()
        return response


@dataclass(frozen=True, slots=True)
class ServiceClients:
    """One client per service for the life of the process (pooled connections), and the
    hop beside it that shares its transport."""

    clients: Mapping[ServiceName, httpx.AsyncClient]
    hops: Mapping[ServiceName, ServiceHop]

    def __getitem__(self, service: ServiceName) -> httpx.AsyncClient:
        return self.clients[service]

    def hop(self, service: ServiceName) -> ServiceHop:
        return self.hops[service]

    def named(self, name: str) -> tuple[ServiceName, ServiceHop] | None:
        """The service called ``name`` in a URL, if there is one."""
        try:
            service = ServiceName(name)
        except ValueError:
            return None
        return service, self.hops[service]


@asynccontextmanager
async def open_service_clients(
    settings: GatewaySettings,
    transports: ServiceTransports | None = None,
    tracing: Tracing | None = None,
) -> AsyncIterator[ServiceClients]:
    """``tracing`` (the gateway's, when on) traces every call, through a client or a hop."""
    transports = transports or {}
    urls = settings.service_urls()
    clients: dict[ServiceName, httpx.AsyncClient] = {}
    hops: dict[ServiceName, ServiceHop] = {}
    for service in ServiceName:
        inner = transports.get(service) or AiohttpTransport()
        if tracing is not None:
            inner = tracing.transport(inner)
        client = create_http_client(settings, base_url=urls[service], transport=inner)
        retrying = RetryingTransport(inner, settings.http_retries)
        clients[service] = client
        hops[service] = ServiceHop(urls[service], retrying, client.timeout)
    try:
        yield ServiceClients(clients, hops)
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
