"""The schema: each domain's root fields merged into one Query, one Mutation and one
Subscription, with the query limits and the parser and validation caches (docs/performance.md: the
caches alone were 5.5x). The limits and caches are schema extensions, so they apply to every
transport alike: ``POST /graphql`` and operations over a websocket.

The limits: tokens (parsing), depth and, outside dev, no introspection (validation), then
aliases, fields and cost (``operation_limits``, with the variables, before execution)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable
from contextlib import aclosing
from typing import Any

import strawberry
from graphql import ASTValidationRule, GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    ValidationCache,
)
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.base import get_object_definition
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType

from careplane_gateway.config import GatewaySettings
from careplane_gateway.graphql.contracts.mutations import ContractsMutation
from careplane_gateway.graphql.contracts.queries import ContractsQuery
from careplane_gateway.graphql.errors import coded_in_stream, log_errors
from careplane_gateway.graphql.identity.queries import IdentityQuery
from careplane_gateway.graphql.input_objects import build_inputs_by_plan
from careplane_gateway.graphql.notify.mutations import NotifyMutation
from careplane_gateway.graphql.notify.queries import NotifyQuery
from careplane_gateway.graphql.operation_limits import MeasureCache, OperationLimits
from careplane_gateway.graphql.tickets.development import DevelopmentMutation, DevelopmentQuery
from careplane_gateway.graphql.tickets.escalation_mutations import EscalationMutation
from careplane_gateway.graphql.tickets.ideas import IdeasMutation, IdeasQuery
from careplane_gateway.graphql.tickets.inbound import InboundMutation, InboundQuery
from careplane_gateway.graphql.tickets.knowledge import KnowledgeMutation, KnowledgeQuery
from careplane_gateway.graphql.tickets.mutations import TicketsMutation
from careplane_gateway.graphql.tickets.queries import TicketsQuery
from careplane_gateway.graphql.tickets.subscriptions import TicketsSubscription
from careplane_gateway.graphql.tickets.surveys import SurveysMutation, SurveysQuery
from careplane_gateway.graphql.tickets.time_entries import TimeEntriesMutation
from careplane_gateway.graphql.tickets.visits import VisitsMutation, VisitsQuery
from careplane_gateway.graphql.validation_rules import NoIntrospection, depth_limit


def _root(name: str, types: tuple[type, ...], description: str) -> type:
    """One root type from the domains' parts, with its description in the SDL."""
    merged = merge_types(name, types)
    get_object_definition(merged, strict=True).description = description
    return merged


Query = _root(
    "Query",
    (
        IdentityQuery,
        TicketsQuery,
        ContractsQuery,
        NotifyQuery,
        InboundQuery,
        KnowledgeQuery,
        IdeasQuery,
        DevelopmentQuery,
        SurveysQuery,
        VisitsQuery,
    ),
    "Every read the API offers: cases, contracts and licensing, notifications.",
)
Mutation = _root(
    "Mutation",
    (
        TicketsMutation,
        EscalationMutation,
        ContractsMutation,
        NotifyMutation,
        InboundMutation,
        KnowledgeMutation,
        IdeasMutation,
        DevelopmentMutation,
        SurveysMutation,
        TimeEntriesMutation,
        VisitsMutation,
    ),
    "Every change the API offers: cases, contracts and licensing, notifications.",
)
Subscription = _root(
    "Subscription",
    (TicketsSubscription,),
    "Live events over a WebSocket (graphql-transport-ws or graphql-ws).",
)


async def _coded_results(results: AsyncGenerator[Any, None]) -> AsyncGenerator[Any, None]:
    async with aclosing(results):
        async for result in results:
            if isinstance(result, ExecutionResult) and result.errors:
                before = isinstance(result, PreExecutionError)
                result.errors = [
                    coded_in_stream(error, before_execution=before) for error in result.errors
                ]
            yield result


class GatewaySchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        log_errors(errors)

    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        """One answer, for a request that wants one (``POST /graphql``): a subscription has
        none to give, so it is refused there (400); it runs over a websocket (``stream``)."""
        allowed = (
            {OperationType.QUERY, OperationType.MUTATION}
            if allowed_operation_types is None
            else set(allowed_operation_types)
        )
        return await super().execute(
            query,
            variable_values,
            context_value,
            root_value,
            operation_name,
            allowed - {OperationType.SUBSCRIPTION},
            operation_extensions,
        )

    async def stream(self, *args: Any, **kwargs: Any) -> Any:
        """What websockets carry (subscriptions, and queries and mutations sent over a socket):
        every error with a code, as the HTTP answers have them (``GatewayGraphQLRouter``)."""
        return _coded_results(await super().stream(*args, **kwargs))


def build_schema(settings: GatewaySettings) -> strawberry.Schema:
    # Extensions are made per request. The validation rules are built once, though: the
    # validation cache is keyed by the rules, and a depth rule per request would bring a new
    # rule class every time, so the cache would never hit. The operations' measures are
    # kept once per schema, as the parsed and validated documents are per process.
    rules: list[type[ASTValidationRule]] = [depth_limit(settings.graphql_max_depth)]
    if not settings.introspection_enabled:
        rules.append(NoIntrospection)
    cache_size = settings.graphql_cache_size
    measures = MeasureCache(cache_size)
    extensions: list[Any] = [
        lambda: MaxTokensLimiter(max_token_count=settings.graphql_max_tokens),
        lambda: AddValidationRules(rules),
        lambda: ParserCache(maxsize=cache_size),
        lambda: ValidationCache(maxsize=cache_size),
        lambda: OperationLimits(
            max_aliases=settings.graphql_max_aliases,
            max_fields=settings.graphql_max_fields,
            max_cost=settings.graphql_max_cost,
            list_size=settings.graphql_list_size,
            cache=measures,
        ),
    ]
    schema = GatewaySchema(
        query=Query, mutation=Mutation, subscription=Subscription, extensions=extensions
    )
    build_inputs_by_plan(schema._schema)
    return schema
