"""GraphQL over a websocket under the same limits as over HTTP.

A socket carries queries and mutations as well as subscriptions, so each operation it starts
(graphql-transport-ws ``subscribe``, graphql-ws ``start``) is counted as one request of its
caller, against the same limits and counts as ``POST /graphql`` (``careplane_gateway.limits``). The
caller is the token's subject when the token (from ``connection_init``, or the handshake's
Authorization header) is valid, otherwise the client's address, as for HTTP. An operation
over the limit is refused alone, with an ``error`` message whose ``extensions.code`` is
``RATE_LIMITED`` (and ``retry_after``); the socket stays open.

A caller with a valid token holds at most ``graphql_ws_max_sockets_per_principal`` sockets at
once (counted by each replica for itself): one more is closed right after its
``connection_init`` with ``TOO_MANY_SOCKETS`` (graphql-transport-ws: close code 4429 with the
code in the reason; graphql-ws: a ``connection_error`` carrying the code, then the close). The
handshake itself counts against the client's address (``careplane_gateway.guard``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError
from starlette.websockets import WebSocket
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage as TransportInitMessage,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import (
    ConnectionInitMessage as WSInitMessage,
)
from strawberry.subscriptions.protocols.graphql_ws.types import ErrorMessage, StartMessage

from careplane_gateway.config import GatewaySettings
from careplane_gateway.graphql.context import GatewayContext
from careplane_gateway.graphql.errors import gateway_error
from careplane_gateway.limits import CallerKind, RateLimited, RequestLimiter
from careplane_shared.auth import Principal, TokenVerifier
from careplane_shared.client_address import connection_address, limit_key
from careplane_shared.errors import CareplaneError

TOO_MANY_SOCKETS = "TOO_MANY_SOCKETS"
# graphql-transport-ws closes for "too many" with 4429 (its own "too many initialisation
# requests").
_CLOSE_TOO_MANY = 4429


class TooManySockets(CareplaneError):
    status_code = 429
    code = "TOO_MANY_SOCKETS"
    message = "This caller holds as many open sockets as it may; close one first."

    def __init__(self, most: int) -> None:
        super().__init__(
            f"At most {most} open sockets per caller; close one first.",
            details={"max_sockets": most},
        )


@dataclass(frozen=True, slots=True)
class SocketCaller:
    kind: CallerKind
    key: str


def connection_authorization(params: object) -> str | None:
    """The Authorization a websocket client sent in ``connection_init``'s payload:
    ``{"Authorization": "Bearer ..."}`` (any spelling of the key). A bare token is taken
    for a bearer token."""
    if not isinstance(params, Mapping):
        return None
    value = next(
        (v for k, v in params.items() if isinstance(k, str) and k.lower() == "authorization"),
        None,
    )
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    return value if " " in value else f"Bearer {value}"


def _authorization_token(authorization: str | None) -> str | None:
    scheme, _, token = (authorization or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


class SocketLimits:
    """The open sockets of each verified caller on this replica, and the counting of every
    operation a socket starts."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.max_sockets = settings.graphql_ws_max_sockets_per_principal
        self.trusted = settings.trusted_proxy_networks
        self.open_sockets: Counter[str] = Counter()

    async def caller(self, websocket: WebSocket, authorization: str | None) -> SocketCaller:
        principal = await _verified(websocket, authorization)
        if principal is not None:
            return SocketCaller(CallerKind.PRINCIPAL, principal.subject)
        address = connection_address(websocket, self.trusted) or "unknown"
        return SocketCaller(CallerKind.ADDRESS, limit_key(address))

    def open(self, caller: SocketCaller) -> None:
        """Takes one of the caller's sockets; ``TooManySockets`` when it holds them all."""
        if caller.kind is not CallerKind.PRINCIPAL:
            return
        if self.open_sockets[caller.key] >= self.max_sockets:
            raise TooManySockets(self.max_sockets)
        self.open_sockets[caller.key] += 1

    def close(self, caller: SocketCaller | None) -> None:
        if caller is None or caller.kind is not CallerKind.PRINCIPAL:
            return
        self.open_sockets[caller.key] -= 1
        if self.open_sockets[caller.key] <= 0:
            del self.open_sockets[caller.key]

    async def count_operation(
        self, websocket: WebSocket, caller: SocketCaller | None
    ) -> GraphQLError | None:
        """Counts one operation; the error to answer it with when the caller is over its
        limit."""
        limiter: RequestLimiter | None = getattr(websocket.app.state, "request_limiter", None)
        if limiter is None or caller is None:
            return None
        try:
            await limiter.hit(caller.kind, caller.key)
        except RateLimited as exc:
            return gateway_error(exc.code, exc.message, **exc.details)
        return None


async def _verified(websocket: WebSocket, authorization: str | None) -> Principal | None:
    token = _authorization_token(authorization)
    verifier: TokenVerifier | None = getattr(websocket.app.state, "token_verifier", None)
    if token is None or verifier is None:
        return None
    try:
        return await verifier.verify(token)
    except CareplaneError:
        return None  # the services refuse it on every call; counted by address meanwhile


def _socket_limits(view: Any) -> SocketLimits:
    limits: SocketLimits = view.socket_limits
    return limits


def _websocket(context: GatewayContext) -> WebSocket:
    websocket = context.request
    assert isinstance(websocket, WebSocket)
    return websocket


class _SocketAdmission:
    """What both protocols' handlers do: who the socket's caller is, its slot, its counts."""

    caller: SocketCaller | None = None

    async def _take_slot(
        self, view: Any, context: GatewayContext, payload: object
    ) -> TooManySockets | None:
        limits = _socket_limits(view)
        limits.close(self.caller)  # graphql-ws lets a client send connection_init again
        self.caller = None
        authorization = connection_authorization(payload) or context.authorization
        caller = await limits.caller(_websocket(context), authorization)
        try:
            limits.open(caller)
        except TooManySockets as exc:
            return exc
        self.caller = caller
        return None

    def _release_slot(self, view: Any) -> None:
        _socket_limits(view).close(self.caller)
        self.caller = None


class TransportWSHandler(_SocketAdmission, BaseGraphQLTransportWSHandler[GatewayContext, None]):
    async def handle(self) -> None:
        try:
            await super().handle()
        finally:
            self._release_slot(self.view)

    async def handle_connection_init(self, message: TransportInitMessage) -> None:
        payload = message.get("payload", {})
        first = not self.connection_init_received and not self.connection_timed_out
        if first and isinstance(payload, Mapping):
            refusal = await self._take_slot(self.view, self.context, payload)
            if refusal is not None:
                if self.connection_init_timeout_task:
                    self.connection_init_timeout_task.cancel()
                reason = f"{refusal.code}: {refusal.message}"
                await self.websocket.close(code=_CLOSE_TOO_MANY, reason=reason)
                return
        await super().handle_connection_init(message)

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if self.connection_acknowledged and message["id"] not in self.operations:
            limits = _socket_limits(self.view)
            refusal = await limits.count_operation(_websocket(self.context), self.caller)
            if refusal is not None:
                await self.send_message(
                    {"id": message["id"], "type": "error", "payload": [refusal.formatted]}
                )
                return
        await super().handle_subscribe(message)


class WSHandler(_SocketAdmission, BaseGraphQLWSHandler[GatewayContext, None]):
    async def handle(self) -> None:
        try:
            await super().handle()
        finally:
            self._release_slot(self.view)

    async def handle_connection_init(self, message: WSInitMessage) -> None:
        payload = message.get("payload")
        if payload is None or isinstance(payload, Mapping):
            refusal = await self._take_slot(self.view, self.context, payload)
            if refusal is not None:
                error = gateway_error(refusal.code, refusal.message, **refusal.details)
                await self.send_message(
                    {"type": "connection_error", "payload": dict(error.formatted)}
                )
                reason = f"{refusal.code}: {refusal.message}"
                await self.websocket.close(code=_CLOSE_TOO_MANY, reason=reason)
                return
        await super().handle_connection_init(message)

    async def handle_start(self, message: StartMessage) -> None:
        if self.connection_acknowledged:
            limits = _socket_limits(self.view)
            refusal = await limits.count_operation(_websocket(self.context), self.caller)
            if refusal is not None:
                await self.send_message(
                    ErrorMessage(type="error", id=message["id"], payload=refusal.formatted)
                )
                return
        await super().handle_start(message)
