"""``/graphql``: queries and mutations over HTTP, and every operation (subscriptions above all)
over a websocket speaking graphql-transport-ws or the older graphql-ws."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from cross_web import HTTPException
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLHTTPResponse
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from careplane_gateway.config import GatewaySettings
from careplane_gateway.graphql.context import GatewayContext, get_context
from careplane_gateway.graphql.errors import coded
from careplane_gateway.graphql.schema import build_schema
from careplane_gateway.graphql.sockets import (
    SocketLimits,
    TransportWSHandler,
    WSHandler,
    connection_authorization,
)


class GatewayGraphQLRouter(GraphQLRouter[GatewayContext, None]):
    # Each operation over a socket is counted like a request; sockets per caller are capped
    # (careplane_gateway.graphql.sockets).
    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = WSHandler

    def __init__(self, *args: Any, socket_limits: SocketLimits, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.socket_limits = socket_limits

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        try:
            return await super().run(request, context, root_value)
        except HTTPException as exc:
            if not isinstance(request, Request):
                raise
            # Strawberry answers a malformed request (no query, bad JSON) in plain text;
            # the shared handler renders it in our error shape with a stable code.
            raise StarletteHTTPException(exc.status_code, exc.reason) from exc

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        # Here rather than in a schema extension: errors raised inside other extensions
        # (the token limit, the parser cache) never pass an extension's on_operation.
        if result.errors:
            result.errors = [coded(error) for error in result.errors]
        return await super().process_result(request, result)

    async def on_ws_connect(self, context: GatewayContext) -> UnsetType | dict[str, object] | None:
        # The handshake's own Authorization header (a non-browser client) stands unless
        # connection_init brings one: browsers cannot set headers on a websocket.
        authorization = connection_authorization(context.connection_params)
        if authorization is not None:
            context.authenticate(authorization)
        return UNSET


def graphql_router(settings: GatewaySettings) -> GraphQLRouter[GatewayContext, None]:
    """``POST /graphql``; GraphiQL on ``GET /graphql`` when enabled (in dev and test unless
    ``settings.graphiql`` says otherwise); websockets at ``/graphql`` too."""
    return GatewayGraphQLRouter(
        build_schema(settings),
        path="/graphql",
        context_getter=get_context,
        graphql_ide="graphiql" if settings.graphiql_enabled else None,
        allow_queries_via_get=False,
        tags=["graphql"],
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL),
        connection_init_wait_timeout=timedelta(seconds=settings.graphql_ws_init_timeout_seconds),
        max_subscriptions_per_connection=settings.graphql_ws_max_subscriptions,
        allowed_origins=settings.graphql_ws_allowed_origins,
        # graphql-ws's "ka" messages; graphql-transport-ws clients ping instead.
        keep_alive=True,
        keep_alive_interval=15,
        socket_limits=SocketLimits(settings),
    )
