"""What a request to the gateway passes before GraphQL or a service sees a byte of its body.

For ``/graphql``, ``/auth/token`` and ``/api/{service}/...``, in this order:

1. **Who calls.** A bearer token is verified here, with the same verifier (JWKS, issuer,
   audience) as every service: required for ``POST /graphql``; checked whenever one is
   sent to ``/api/...`` (which routes need one is the service's to say: each service
   checks the token before it reads a body, and some routes, such as accepting an
   invitation, are open). ``/auth/token`` takes none.
2. **How often.** The caller's request is counted (``careplane_gateway.limits``): per token subject
   when the token is valid, per client address otherwise (from ``X-Forwarded-For`` only
   through trusted proxies; an IPv6 address counts as its /64, ``limit_key``). Over the
   limit: 429 ``RATE_LIMITED`` with ``Retry-After``.
3. **How much.** The body is bounded: an upload to tickets' attachments by
   ``max_upload_bytes``, every other body by ``max_body_bytes``. Over it: 413
   ``PAYLOAD_TOO_LARGE``, at once when the Content-Length says so, otherwise as soon as the
   streamed bytes pass the limit (nothing more is read; the request upstream is cut off).

A websocket's handshake at ``/graphql`` counts as one request of the client's address (over
the limit: refused with 429 ``RATE_LIMITED`` where the server can answer a handshake with a
response, otherwise closed with 1008); the operations it carries are counted by the socket's
handlers (``careplane_gateway.graphql.sockets``). Everything else (the gateway's own health,
metrics, docs) passes untouched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from starlette import status
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from careplane_gateway.config import GatewaySettings
from careplane_gateway.limits import CallerKind, RateLimited, RequestLimiter
from careplane_shared.auth import Principal, authenticate
from careplane_shared.client_address import connection_address, limit_key
from careplane_shared.errors import CareplaneError, Unauthenticated, error_response
from careplane_shared.request_guard import ensure_declared_length, refuse, run_bounded


class TokenRule(Enum):
    NONE = "none"  # not looked at (the token endpoint: its Authorization is client credentials)
    IF_SENT = "if_sent"  # verified when there is one
    REQUIRED = "required"


@dataclass(frozen=True, slots=True)
class Admission:
    token: TokenRule
    max_body_bytes: int


_UPLOAD = re.compile(r"^/api/tickets/v1/tickets/[^/]+/attachments/?$")
_TOKEN_PATHS = frozenset({"/auth/token", "/api/contracts/auth/token"})


def admission(method: str, path: str, settings: GatewaySettings) -> Admission | None:
    """What a request must pass, by its route; ``None`` for the gateway's own routes."""
    if path in _TOKEN_PATHS:
        return Admission(TokenRule.NONE, settings.max_body_bytes)
    if path == "/graphql":
        rule = TokenRule.REQUIRED if method == "POST" else TokenRule.IF_SENT
        return Admission(rule, settings.max_body_bytes)
    if path.startswith("/api/"):
        if method == "POST" and _UPLOAD.match(path):
            return Admission(TokenRule.IF_SENT, settings.max_upload_bytes)
        return Admission(TokenRule.IF_SENT, settings.max_body_bytes)
    return None


class GatewayGuard:
    """Pure ASGI middleware: the checks above, before the route runs."""

    def __init__(self, app: ASGIApp, *, settings: GatewaySettings) -> None:
        self.app = app
        self.settings = settings
        self.trusted = settings.trusted_proxy_networks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and scope["path"] == "/graphql":
            try:
                await self._admit_socket(scope)
            except RateLimited as exc:
                await _refuse_socket(exc, scope, receive, send)
                return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rule = admission(scope["method"], scope["path"], self.settings)
        if rule is None:
            await self.app(scope, receive, send)
            return
        try:
            await self._admit(scope, rule)
        except CareplaneError as exc:
            await refuse(exc, scope, receive, send)
            return
        await run_bounded(self.app, scope, receive, send, rule.max_body_bytes)

    async def _admit_socket(self, scope: Scope) -> None:
        connection = HTTPConnection(scope)
        limiter: RequestLimiter | None = getattr(connection.app.state, "request_limiter", None)
        if limiter is not None:
            address = connection_address(connection, self.trusted) or "unknown"
            await limiter.hit(CallerKind.ADDRESS, limit_key(address))

    async def _admit(self, scope: Scope, rule: Admission) -> None:
        request = Request(scope)
        principal: Principal | None = None
        refusal: CareplaneError | None = None
        sent = "authorization" in request.headers
        required = rule.token is TokenRule.REQUIRED
        if rule.token is not TokenRule.NONE and (sent or required):
            try:
                principal = await authenticate(request)
            except Unauthenticated as exc:
                refusal = exc
        limiter: RequestLimiter | None = getattr(request.app.state, "request_limiter", None)
        if limiter is not None:
            if principal is not None:
                await limiter.hit(CallerKind.PRINCIPAL, principal.subject)
            else:
                address = connection_address(request, self.trusted) or "unknown"
                await limiter.hit(CallerKind.ADDRESS, limit_key(address))
        if refusal is not None:
            raise refusal
        ensure_declared_length(scope, rule.max_body_bytes)


async def _refuse_socket(exc: CareplaneError, scope: Scope, receive: Receive, send: Send) -> None:
    """Refuses a websocket's handshake: with the error as an HTTP answer when the server
    can send one (the ASGI denial response extension), otherwise by closing it."""
    websocket = WebSocket(scope, receive, send)
    message = await receive()
    if message["type"] != "websocket.connect":
        return  # the client is gone already
    if "websocket.http.response" in scope.get("extensions", {}):
        response = error_response(exc.status_code, exc.code, exc.message, exc.details, exc.headers)
        await websocket.send_denial_response(response)
    else:
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION, reason=exc.code)
