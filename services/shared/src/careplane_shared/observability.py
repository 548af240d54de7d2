"""Request ids, access logs and Prometheus metrics as one pure ASGI middleware."""

from __future__ import annotations

import re
import time
import uuid

import structlog
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from careplane_shared.context import authorization_var, request_id_var

log = structlog.get_logger("careplane.access")

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
    """Takes or makes ``X-Request-ID``, echoes it, logs the request, records metrics."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        authorization = headers.get(b"authorization")
        rid_token = request_id_var.set(request_id)
        auth_token = authorization_var.set(
            authorization.decode("latin-1") if authorization else None
        )
        started = time.perf_counter()
        status_code = 500

        async def send_with_request_id(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
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
            REQUESTS.labels(self.service, method, route_path, str(status_code)).inc()
            LATENCY.labels(self.service, method, route_path).observe(elapsed)
            if scope["path"] not in _QUIET_PATHS:
                log.info(
                    "request",
                    method=method,
                    path=_loggable_path(scope, route_path),
                    status=status_code,
                    duration_ms=round(elapsed * 1000, 2),
                )
            request_id_var.reset(rid_token)
            authorization_var.reset(auth_token)


def _loggable_path(scope: Scope, route_path: str) -> str:
    """The request's path, or its route's template when the path carries a secret (an
    invitation's token): logs are read by more people than the tokens are meant for."""
    params = scope.get("path_params") or {}
    if any("token" in name or "secret" in name for name in params):
        return route_path
    return str(scope["path"])


async def metrics_endpoint(_: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
