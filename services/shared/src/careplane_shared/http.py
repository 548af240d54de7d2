"""HTTP clients for calls between the pieces.

httpx's API over the aiohttp transport (docs/performance.md: the default transport made a
gateway hop cost 3.6x a direct read; aiohttp underneath brought it to 1.6x). Explicit
timeouts; retries only for idempotent methods and only on connection failures or 502/503/504;
the request id is always forwarded, and the caller's authorization when asked.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

import httpx
from httpx_aiohttp import AiohttpTransport

from careplane_shared.context import authorization_var, request_id_var
from careplane_shared.settings import BaseServiceSettings
from careplane_shared.tracing import Tracing

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({502, 503, 504})


class RetryingTransport(httpx.AsyncBaseTransport):
    """Retries idempotent requests (and any request carrying an Idempotency-Key)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, retries: int, backoff: float = 0.1) -> None:
        self.inner = inner
        self.retries = retries
        self.backoff = backoff

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        retryable = request.method in IDEMPOTENT_METHODS or "idempotency-key" in request.headers
        attempt = 0
        while True:
            try:
                response = await self.inner.handle_async_request(request)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError):
                if not retryable or attempt >= self.retries:
                    raise
            else:
                if (
                    not retryable
                    or attempt >= self.retries
                    or response.status_code not in RETRY_STATUSES
                ):
                    return response
                await response.aclose()
            attempt += 1
            await asyncio.sleep(self.backoff * (2 ** (attempt - 1)) * (0.5 + random.random()))

    async def aclose(self) -> None:
        await self.inner.aclose()


async def _forward_context(request: httpx.Request) -> None:
    request_id = request_id_var.get()
    if request_id and "x-request-id" not in request.headers:
        request.headers["x-request-id"] = request_id


def create_http_client(
    settings: BaseServiceSettings,
    *,
    base_url: str = "",
    transport: httpx.AsyncBaseTransport | None = None,
    auth: httpx.Auth | None = None,
    tracing: Tracing | None = None,
    **kwargs: Any,
) -> httpx.AsyncClient:
    """A client for another piece: pass ``transport`` to call an in-process ASGI app in tests,
    ``tracing`` (the app's, :func:`careplane_shared.tracing.tracing_of`) for a client span
    per request that carries the trace on."""
    inner = transport or AiohttpTransport()
    if tracing is not None:
        inner = tracing.transport(inner)
    return httpx.AsyncClient(
        base_url=base_url,
        transport=RetryingTransport(inner, settings.http_retries),
        timeout=httpx.Timeout(
            settings.http_timeout_seconds, connect=settings.http_connect_timeout_seconds
        ),
        auth=auth,
        event_hooks={"request": [_forward_context]},
        **kwargs,
    )


class ForwardCallerAuth(httpx.Auth):
    """Sends the current request's own Authorization header onward (the caller's identity)."""

    def auth_flow(self, request: httpx.Request):  # type: ignore[no-untyped-def]
        authorization = authorization_var.get()
        if authorization and "authorization" not in request.headers:
            request.headers["authorization"] = authorization
        yield request


class ClientCredentialsAuth(httpx.Auth):
    """This piece's own identity: an OAuth2 client_credentials token, fetched and cached."""

    def __init__(self, token_url: str, client_id: str, client_secret: str) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self.client_secret = client_secret
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()

    def _token_request(self) -> httpx.Request:
        return httpx.Request(
            "POST",
            self.token_url,
            data={
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
            },
        )

    async def _store(self, response: httpx.Response) -> None:
        await response.aread()
        response.raise_for_status()
        body = response.json()
        self._token = body["access_token"]
        # Refresh a little before the token really expires.
        self._expires_at = time.monotonic() + max(int(body.get("expires_in", 300)) - 30, 5)

    async def async_auth_flow(self, request: httpx.Request):  # type: ignore[no-untyped-def]
        async with self._lock:
            if self._token is None or time.monotonic() >= self._expires_at:
                await self._store((yield self._token_request()))
        request.headers["authorization"] = f"Bearer {self._token}"
        response = yield request
        if response.status_code == 401:
            async with self._lock:
                await self._store((yield self._token_request()))
            request.headers["authorization"] = f"Bearer {self._token}"
            yield request
