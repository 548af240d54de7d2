"""How a resolver calls a service: the reusable path every resolver takes."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any

import httpx
import structlog

from careplane_gateway.graphql.errors import (
    error_from_response,
    error_from_transport,
    gateway_error,
)
from careplane_gateway.services import ServiceClients, ServiceHop, ServiceName
from careplane_gateway.sse import ServerSentEvent, read_events
from careplane_gateway.upstream import BAD_GATEWAY, UPSTREAM_ERRORS

log = structlog.get_logger(__name__)


class ServiceCaller:
    """One service as the resolvers of one request see it: the caller's Authorization is
    forwarded, JSON goes both ways, and every failure is raised as a GraphQL error that carries
    the service's own code (or ``SERVICE_UNAVAILABLE`` when it cannot be reached)."""

    def __init__(
        self,
        service: ServiceName,
        client: httpx.AsyncClient,
        hop: ServiceHop,
        authorization: str | None,
    ) -> None:
        self.service = service
        # The client for event streams; every other call takes the hop (``ServiceHop``).
        self.client = client
        self.hop = hop
        self.authorization = authorization

    @classmethod
    def of(
        cls, clients: ServiceClients, service: ServiceName, authorization: str | None
    ) -> ServiceCaller:
        return cls(service, clients[service], clients.hop(service), authorization)

    def _headers(self, accept: str, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"accept": accept}
        if self.authorization:
            headers["authorization"] = self.authorization
        headers.update(extra or {})
        return headers

    async def send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """The service's successful answer as it came (its status, a body that is not JSON)."""
        request = self.hop.request(
            method,
            path,
            params=params,
            json=json,
            headers=self._headers("application/json", headers),
        )
        try:
            response = await self.hop.fetch(request)
        except UPSTREAM_ERRORS as exc:
            log.warning("service_call_failed", service=self.service.value, error=repr(exc))
            raise error_from_transport(self.service.value, exc) from exc
        if not response.is_success:
            raise error_from_response(self.service.value, response)
        return response

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        response = await self.send(method, path, params=params, json=json, headers=headers)
        return self.json_of(response)

    def json_of(self, response: httpx.Response) -> Any:
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise gateway_error(
                BAD_GATEWAY,
                f"The {self.service.value} service gave no valid answer.",
                service=self.service.value,
            ) from exc

    async def get(self, path: str, *, params: dict[str, Any] | None = None) -> Any:
        return await self.request("GET", path, params=params)

    async def post(self, path: str, *, json: Any = None, idempotency_key: str | None = None) -> Any:
        headers = {"idempotency-key": idempotency_key} if idempotency_key else None
        return await self.request("POST", path, json=json, headers=headers)

    async def events(
        self, path: str, *, params: dict[str, Any] | None = None, idle_timeout: float
    ) -> AsyncGenerator[ServerSentEvent, None]:
        """A Server-Sent Events stream, message by message, for as long as the service keeps
        it open. ``idle_timeout`` bounds the silence between two reads (the service's
        keep-alive comments count), so a stream that died without closing is noticed. The
        stream is closed however the iteration ends: close this generator (``aclosing``) or
        cancel its task. A refusal, an unreachable service or a broken stream is raised as
        for any other call."""
        defaults = self.client.timeout
        timeout = httpx.Timeout(
            connect=defaults.connect, read=idle_timeout, write=defaults.write, pool=defaults.pool
        )
        request = self.client.build_request(
            "GET",
            path,
            params=params,
            headers=self._headers("text/event-stream", {"cache-control": "no-cache"}),
            timeout=timeout,
        )
        try:
            response = await self.client.send(request, stream=True)
        except UPSTREAM_ERRORS as exc:
            log.warning("service_stream_failed", service=self.service.value, error=repr(exc))
            raise error_from_transport(self.service.value, exc) from exc
        try:
            if not response.is_success:
                await response.aread()
                raise error_from_response(self.service.value, response)
            try:
                async with aclosing(read_events(response.aiter_lines())) as events:
                    async for event in events:
                        yield event
            except UPSTREAM_ERRORS as exc:
                log.warning("service_stream_broken", service=self.service.value, error=repr(exc))
                raise error_from_transport(self.service.value, exc) from exc
        finally:
            await response.aclose()
