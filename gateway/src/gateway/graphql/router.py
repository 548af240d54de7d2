from __future__ import annotations

from typing import Any

from cross_web import HTTPException
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

from gateway.config import GatewaySettings
from gateway.graphql.context import GatewayContext, get_context
from gateway.graphql.errors import coded
from gateway.graphql.schema import build_schema


class GatewayGraphQLRouter(GraphQLRouter[GatewayContext, None]):
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


def graphql_router(settings: GatewaySettings) -> GraphQLRouter[GatewayContext, None]:
    """``POST /graphql``; GraphiQL on ``GET /graphql`` when ``settings.graphiql``."""
    return GatewayGraphQLRouter(
        build_schema(settings),
        path="/graphql",
        context_getter=get_context,
        graphql_ide="graphiql" if settings.graphiql else None,
        allow_queries_via_get=False,
        tags=["graphql"],
    )
