"""Request ids, access logs and Prometheus metrics as one pure ASGI middleware."""

from __future__ import annotations

import logging
import os
import re
import time
from typing import Any

import structlog
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from careplane_shared.context import authorization_var, request_id_var

log = structlog.get_logger("careplane.access")
_access = logging.getLogger("careplane.access")  # whose level decides whether a line is written

REQUESTS = Counter(
    "careplane_http_requests_total",
    "HTTP requests handled.",
    ["service", "method", "route", "status"],
)
LATENCY = Histogram(
    "careplane_http_request_duration_seconds",
    "HTTP request duration.",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class RequestContextMiddleware:
    """Takes or makes ``X-Request-ID``, echoes it, logs the request, records metrics.

    It runs for every request, so it does only what it must there: the headers are read
    in one pass, the metrics' labelled series are looked up once per route and status,
    and the access line is not even built when its level is off."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service
        self._counts: dict[tuple[str, str, int], Any] = {}
        self._latencies: dict[tuple[str, str], Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = authorization = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
            elif name == b"authorization":
                authorization = value.decode("latin-1")
        if incoming is None or not _REQUEST_ID.match(incoming):
            incoming = os.urandom(16).hex()
        request_id = incoming
        rid_token = request_id_var.set(request_id)
        auth_token = authorization_var.set(authorization)
        started = time.perf_counter()
        status_code = 500

        async def send_with_request_id(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
                message["headers"] = [
                    *message.get("headers", ()),
                    (b"x-request-id", request_id.encode("latin-1")),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_request_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            route_path = getattr(route, "path", None) or "unmatched"
            method = scope["method"]
            self._count(method, route_path, status_code).inc()
            self._latency(method, route_path).observe(elapsed)
            if scope["path"] not in _QUIET_PATHS and _access.isEnabledFor(logging.INFO):
                log.info(
                    "request",
                    method=method,
                    path=_loggable_path(scope, route_path),
                    status=status_code,
                    duration_ms=round(elapsed * 1000, 2),
                )
            request_id_var.reset(rid_token)
            authorization_var.reset(auth_token)

    def _count(self, method: str, route: str, status: int) -> Any:
        key = (method, route, status)
        series = self._counts.get(key)
        if series is None:
            series = self._counts[key] = REQUESTS.labels(self.service, method, route, str(status))
        return series

    def _latency(self, method: str, route: str) -> Any:
        key = (method, route)
        series = self._latencies.get(key)
        if series is None:
            series = self._latencies[key] = LATENCY.labels(self.service, method, route)
        return series


def _loggable_path(scope: Scope, route_path: str) -> str:
    """The request's path, or its route's template when the path carries a secret (an
    invitation's token): logs are read by more people than the tokens are meant for."""
    params = scope.get("path_params") or {}
    if any("token" in name or "secret" in name for name in params):
        return route_path
    return str(scope["path"])


async def metrics_endpoint(_: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
