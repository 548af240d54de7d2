"""The notify domain's root query fields."""

from __future__ import annotations

from typing import Any

import strawberry

from gateway.graphql.arguments import uuid_arg
from gateway.graphql.context import Info
from gateway.graphql.notify.extra_queries import NotifyExtraQuery
from gateway.graphql.notify.inputs import DeliveryFilter
from gateway.graphql.notify.types import (
    ChatChannel,
    Delivery,
    WebhookEndpoint,
    delivery_path,
    endpoint_path,
)
from gateway.graphql.pagination import After, Connection, First, PageRequest, connection


@strawberry.type
class NotifyQuery(NotifyExtraQuery):
    @strawberry.field(
        description=(
            "Webhook endpoints, oldest first, never with their secrets. Staff see every "
            "endpoint; a customer's administrators and integration keys their own customer's."
        )
    )
    async def webhook_endpoints(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[WebhookEndpoint]:
        page = PageRequest.of(first, after)
        body = await info.context.notify.get("/v1/webhook-endpoints", params=page.params())
        return connection(body, page, WebhookEndpoint.from_rest)

    @strawberry.field(
        description=(
            "A webhook endpoint, without its secret (WEBHOOK_ENDPOINT_NOT_FOUND for one the "
            "caller may not see, exactly as for one that does not exist)."
        )
    )
    async def webhook_endpoint(self, info: Info, id: strawberry.ID) -> WebhookEndpoint | None:
        row = await info.context.loaders.notify.load(endpoint_path(uuid_arg(id, "id")))
        return WebhookEndpoint.from_rest(row)

    @strawberry.field(
        description=(
            "The delivery record, newest first: every notification that went out or is on its "
            "way, with its status. A customer's administrators and keys see their own "
            "customer's."
        )
    )
    async def deliveries(
        self,
        info: Info,
        filter: DeliveryFilter | None = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Delivery]:
        page = PageRequest.of(first, after)
        params: dict[str, Any] = {**(filter.to_params() if filter else {}), **page.params()}
        body = await info.context.notify.get("/v1/deliveries", params=params)
        return connection(body, page, Delivery.from_rest)

    @strawberry.field(
        description="One delivery with its payload and every attempt (DELIVERY_NOT_FOUND)."
    )
    async def delivery(self, info: Info, id: strawberry.ID) -> Delivery | None:
        row = await info.context.loaders.notify.load(delivery_path(uuid_arg(id, "id")))
        return Delivery.from_rest(row)

    @strawberry.field(description="Staff: the chat channels notify posts to, oldest first.")
    async def chat_channels(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[ChatChannel]:
        page = PageRequest.of(first, after)
        body = await info.context.notify.get("/v1/chat-channels", params=page.params())
        return connection(body, page, ChatChannel.from_rest)
