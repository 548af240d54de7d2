"""The schema: each domain's root fields merged into one Query and one Mutation, with the
query limits and the parser and validation caches (PERFORMANCE.md: the caches alone were 5.5x)."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from gateway.config import GatewaySettings
from gateway.graphql.contracts.mutations import ContractsMutation
from gateway.graphql.contracts.queries import ContractsQuery
from gateway.graphql.errors import log_errors
from gateway.graphql.identity.queries import IdentityQuery
from gateway.graphql.tickets.mutations import TicketsMutation
from gateway.graphql.tickets.queries import TicketsQuery

Query = merge_types("Query", (IdentityQuery, TicketsQuery, ContractsQuery))
Mutation = merge_types("Mutation", (TicketsMutation, ContractsMutation))


class GatewaySchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        log_errors(errors)


def build_schema(settings: GatewaySettings) -> strawberry.Schema:
    # Extensions are made per request. The depth rule is built once, though: the validation
    # cache is keyed by the rules, and a QueryDepthLimiter per request would bring a new rule
    # class every time, so the cache would never hit.
    depth_rules = QueryDepthLimiter(max_depth=settings.graphql_max_depth).validation_rules
    cache_size = settings.graphql_cache_size
    extensions: list[Any] = [
        lambda: MaxTokensLimiter(max_token_count=settings.graphql_max_tokens),
        lambda: AddValidationRules(depth_rules),
        lambda: ParserCache(maxsize=cache_size),
        lambda: ValidationCache(maxsize=cache_size),
    ]
    return GatewaySchema(query=Query, mutation=Mutation, extensions=extensions)
