"""The notify domain's inputs, each turned into the REST body or query it stands for."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.types.unset import UNSET

from gateway.graphql.arguments import given, optional_uuid_arg
from gateway.graphql.notify.enums import ChatTool, DeliveryChannel, DeliveryStatus


@strawberry.input(description="Narrows the delivery record; every field is optional.")
class DeliveryFilter:
    status: DeliveryStatus | None = None
    channel: DeliveryChannel | None = None
    event_type: str | None = strawberry.field(default=None, description='e.g. "ticket.opened".')
    event_id: str | None = strawberry.field(
        default=None, description="The event's id (a webhook's webhook-id)."
    )
    endpoint_id: strawberry.ID | None = None
    customer_id: strawberry.ID | None = None
    since: datetime | None = strawberry.field(default=None, description="Created at or after.")
    until: datetime | None = strawberry.field(default=None, description="Created before.")

    def to_params(self) -> dict[str, Any]:
        params: dict[str, Any] = {
            "status": self.status.value if self.status else None,
            "channel": self.channel.value if self.channel else None,
            "event_type": self.event_type,
            "event_id": self.event_id,
            "endpoint_id": optional_uuid_arg(self.endpoint_id, "filter.endpointId"),
            "customer_id": optional_uuid_arg(self.customer_id, "filter.customerId"),
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }
        return {name: value for name, value in params.items() if value is not None}


@strawberry.input(description="What to change on a webhook endpoint; the rest stays as it is.")
class WebhookEndpointUpdateInput:
    url: str | None = UNSET
    event_types: list[str] | None = UNSET
    description: str | None = UNSET
    enabled: bool | None = strawberry.field(
        default=UNSET,
        description="true re-enables an endpoint notify disabled (410 Gone, days of failures).",
    )

    def to_rest(self) -> dict[str, Any]:
        return given(
            {
                "url": self.url,
                "event_types": self.event_types,
                "description": self.description,
                "enabled": self.enabled,
            }
        )


@strawberry.input(description="A chat tool's incoming webhook to post some event types to.")
class ChatChannelInput:
    tool: ChatTool
    name: str = strawberry.field(description='How staff know it, e.g. "#support".')
    webhook_url: str = strawberry.field(
        description="The tool's incoming webhook URL: a secret, never shown again."
    )
    event_types: list[str]
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this customer's events; none for every customer's."
    )

    def to_rest(self) -> dict[str, Any]:
        return {
            "kind": self.tool.value,
            "name": self.name,
            "webhook_url": self.webhook_url,
            "event_types": self.event_types,
            "customer_id": optional_uuid_arg(self.customer_id, "input.customerId"),
        }
