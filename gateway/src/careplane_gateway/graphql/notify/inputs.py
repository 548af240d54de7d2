"""The notify domain's inputs, each turned into the REST body or query it stands for."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

import strawberry
from strawberry.types.unset import UNSET

from careplane_gateway.graphql.arguments import given, iso, optional_uuid_arg, present, uuid_arg
from careplane_gateway.graphql.notify.enums import (
    ChatTool,
    DeliveryChannel,
    DeliveryStatus,
    MaintenanceKind,
)


@strawberry.input(description="Narrows the delivery record; every field is optional.")
class DeliveryFilter:
    status: DeliveryStatus | None = strawberry.field(
        default=None, description="Only deliveries in this status."
    )
    channel: DeliveryChannel | None = strawberry.field(
        default=None, description="Only deliveries on this channel."
    )
    event_type: str | None = strawberry.field(default=None, description='e.g. "ticket.opened".')
    event_id: str | None = strawberry.field(
        default=None, description="The event's id (a webhook's webhook-id)."
    )
    endpoint_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only deliveries to this webhook endpoint."
    )
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only deliveries for this customer."
    )
    since: datetime | None = strawberry.field(default=None, description="Created at or after.")
    until: datetime | None = strawberry.field(default=None, description="Created before.")

    def to_params(self) -> dict[str, Any]:
        return present(
            {
                "status": self.status.value if self.status else None,
                "channel": self.channel.value if self.channel else None,
                "event_type": self.event_type,
                "event_id": self.event_id,
                "endpoint_id": optional_uuid_arg(self.endpoint_id, "filter.endpointId"),
                "customer_id": optional_uuid_arg(self.customer_id, "filter.customerId"),
                "since": iso(self.since),
                "until": iso(self.until),
            }
        )


@strawberry.input(description="What to change on a webhook endpoint; the rest stays as it is.")
class WebhookEndpointUpdateInput:
    url: str | None = strawberry.field(default=UNSET, description="A new URL; null leaves it.")
    event_types: list[str] | None = strawberry.field(
        default=UNSET, description="New event types; null leaves them."
    )
    description: str | None = strawberry.field(
        default=UNSET, description="A new note; null leaves it."
    )
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
    tool: ChatTool = strawberry.field(description="The chat tool the URL belongs to.")
    name: str = strawberry.field(description='How staff know it, e.g. "#support".')
    webhook_url: str = strawberry.field(
        description="The tool's incoming webhook URL: a secret, never shown again."
    )
    event_types: list[str] = strawberry.field(
        description="The event types to post, e.g. ticket.opened."
    )
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


@strawberry.input(description="A maintenance window to announce.")
class MaintenanceWindowInput:
    title: str = strawberry.field(description="A short title for the notice.")
    description: str = strawberry.field(description="What happens, for the notice.")
    starts_at: datetime = strawberry.field(description="With a timezone offset.")
    ends_at: datetime = strawberry.field(description="After `startsAt`.")
    kind: MaintenanceKind = strawberry.field(
        default=MaintenanceKind.SCHEDULED, description="Scheduled or unscheduled."
    )
    product_id: strawberry.ID | None = strawberry.field(
        default=None, description="The product affected; its customers are told."
    )
    customer_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description=(
            "Exactly these customers; without it every customer with an active agreement "
            "(on `productId`, when given)."
        ),
    )

    def to_rest(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "title": self.title,
            "description": self.description,
            "starts_at": self.starts_at.isoformat(),
            "ends_at": self.ends_at.isoformat(),
            "kind": self.kind.value,
        }
        if self.product_id is not None:
            body["product_id"] = optional_uuid_arg(self.product_id, "input.productId")
        if self.customer_ids is not None:
            body["customer_ids"] = [
                uuid_arg(value, "input.customerIds") for value in self.customer_ids
            ]
        return body


@strawberry.input(description="A contact's mail preferences: what it receives no mail for.")
class ContactPreferencesInput:
    opted_out: list[str] = strawberry.field(
        description=(
            "The categories to receive no mail for; the rest are received. Essential notices "
            "cannot be listed (CATEGORY_ESSENTIAL)."
        )
    )

    def to_rest(self) -> dict[str, Any]:
        return {"opted_out": list(self.opted_out)}


@strawberry.input(description="Quiet hours and the digest interval for non-urgent staff mail.")
class StaffDigestSettingsInput:
    timezone: str = strawberry.field(description='An IANA timezone, e.g. "Europe/Amsterdam".')
    quiet_start: time | None = strawberry.field(
        default=None, description="Give both quiet times, or neither."
    )
    quiet_end: time | None = strawberry.field(
        default=None, description="When quiet hours end; null for none."
    )
    digest_minutes: int = strawberry.field(
        default=0,
        description=(
            "Collect non-urgent staff mail and send it every this many minutes (counted from "
            "local midnight); 0 sends it at once outside quiet hours."
        ),
    )

    def to_rest(self) -> dict[str, Any]:
        return {
            "timezone": self.timezone,
            "quiet_start": iso(self.quiet_start),
            "quiet_end": iso(self.quiet_end),
            "digest_minutes": self.digest_minutes,
        }
