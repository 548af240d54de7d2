"""The notify domain's central types: webhook endpoints, the delivery record (every
notification that went out or is on its way, with each attempt) and chat channels. Customer
announcements are in ``announcements``, who gets which mail in ``mail``.

Each type is built from the REST answer it mirrors. Notify judges every call itself: staff
see everything, a customer's administrators and integration keys their own customer's.
"""

from __future__ import annotations

from datetime import datetime

import strawberry
from graphql import GraphQLError
from strawberry.scalars import JSON

from careplane_gateway.graphql.context import Info
from careplane_gateway.graphql.contracts.types import Customer
from careplane_gateway.graphql.convert import Row, optional_datetime, optional_id, to_id
from careplane_gateway.graphql.notify.enums import ChatTool, DeliveryChannel, DeliveryStatus
from careplane_gateway.graphql.notify.paths import delivery_path, endpoint_path

WEBHOOK_ENDPOINT_NOT_FOUND = "WEBHOOK_ENDPOINT_NOT_FOUND"


@strawberry.type(
    description=(
        "A receiver of signed webhooks (Standard Webhooks v1) for some event types. Its "
        "`secret` is shown once: in the answer of `registerWebhook` and of "
        "`rotateWebhookSecret`; it is null everywhere else."
    )
)
class WebhookEndpoint:
    id: strawberry.ID = strawberry.field(description="The endpoint's ID.")
    url: str = strawberry.field(description="The HTTPS URL that receives the signed POSTs.")
    event_types: list[str] = strawberry.field(
        description='Dotted event types, e.g. "ticket.opened"; "*" for every type.'
    )
    secret: str | None = strawberry.field(
        description="whsec_...: only in the answer that issued it; store it then."
    )
    customer_id: strawberry.ID | None = strawberry.field(
        description="Whose events it receives; null: every customer's (staff only)."
    )
    description: str | None = strawberry.field(
        description="A note to tell endpoints apart; null when none."
    )
    enabled: bool = strawberry.field(description="False once disabled; nothing is sent then.")
    disabled_at: datetime | None = strawberry.field(
        description="When it was disabled; null while enabled."
    )
    disabled_reason: str | None = strawberry.field(
        description="Why notify stopped posting to it (410 Gone, days of failures, its owner)."
    )
    failing_since: datetime | None = strawberry.field(
        description="When deliveries started failing; null while they succeed."
    )
    previous_secret_expires_at: datetime | None = strawberry.field(
        description=(
            "After a rotation: until then every delivery carries two signatures, one with "
            "the old secret and one with the new."
        )
    )
    created_by: str = strawberry.field(description="Who registered it.")
    created_at: datetime = strawberry.field(description="When it was registered.")
    updated_at: datetime = strawberry.field(description="When it last changed.")

    @classmethod
    def from_rest(cls, row: Row) -> WebhookEndpoint:
        return cls(
            id=to_id(row["id"]),
            url=row["url"],
            event_types=list(row["event_types"]),
            secret=row.get("secret"),
            customer_id=optional_id(row.get("customer_id")),
            description=row.get("description"),
            enabled=bool(row["enabled"]),
            disabled_at=optional_datetime(row.get("disabled_at")),
            disabled_reason=row.get("disabled_reason"),
            failing_since=optional_datetime(row.get("failing_since")),
            previous_secret_expires_at=optional_datetime(row.get("previous_secret_expires_at")),
            created_by=row["created_by"],
            created_at=datetime.fromisoformat(row["created_at"]),
            updated_at=datetime.fromisoformat(row["updated_at"]),
        )

    @strawberry.field(description="Whose events it receives; null: every customer's.")
    async def customer(self, info: Info) -> Customer | None:
        return await Customer.load_optional(info, self.customer_id)


@strawberry.type(description="One try at a delivery.")
class DeliveryAttempt:
    attempt: int = strawberry.field(description="1 for the first try.")
    worker: str = strawberry.field(description="The worker that made it.")
    started_at: datetime = strawberry.field(description="When the try started.")
    duration_ms: int = strawberry.field(description="How long the try took, in milliseconds.")
    outcome: str = strawberry.field(description="succeeded, retry, failed, dead or lease_expired.")
    status_code: int | None = strawberry.field(description="The target's HTTP status.")
    response_excerpt: str | None = strawberry.field(description="The start of its answer.")
    error: str | None = strawberry.field(description="The try's error; null when it succeeded.")
    retry_at: datetime | None = strawberry.field(description="When the next try was set for.")

    @classmethod
    def from_rest(cls, row: Row) -> DeliveryAttempt:
        return cls(
            attempt=int(row["attempt"]),
            worker=row["worker"],
            started_at=datetime.fromisoformat(row["started_at"]),
            duration_ms=int(row["duration_ms"]),
            outcome=row["outcome"],
            status_code=row.get("status_code"),
            response_excerpt=row.get("response_excerpt"),
            error=row.get("error"),
            retry_at=optional_datetime(row.get("retry_at")),
        )


@strawberry.type(
    description=(
        "One event on its way to one target (a webhook endpoint, a mail recipient, a chat "
        "channel): every delivery is on record, with each attempt."
    )
)
class Delivery:
    id: strawberry.ID = strawberry.field(description="The delivery's ID.")
    channel: DeliveryChannel = strawberry.field(description="How it is delivered.")
    target: str = strawberry.field(
        description="The webhook's URL, the chat channel, or the mail's recipient."
    )
    endpoint_id: strawberry.ID | None = strawberry.field(description="A webhook's endpoint.")
    customer_id: strawberry.ID | None = strawberry.field(
        description="The customer whose event it carries; null when none."
    )
    event_id: str = strawberry.field(
        description="Also the webhook-id header of a webhook delivery, stable across retries."
    )
    event_source: str = strawberry.field(
        description="The service whose event it carries, e.g. tickets."
    )
    event_type: str = strawberry.field(description="The event's type, e.g. ticket.opened.")
    event_time: datetime = strawberry.field(description="When the event happened.")
    status: DeliveryStatus = strawberry.field(description="Where the delivery is.")
    attempt_count: int = strawberry.field(description="Tries so far.")
    next_attempt_at: datetime | None = strawberry.field(
        description="When the next try is due; null when no try is planned."
    )
    last_status_code: int | None = strawberry.field(
        description="The HTTP status of the last try; null when none answered."
    )
    last_error: str | None = strawberry.field(
        description="The last try's error; null when none failed."
    )
    delivered_at: datetime | None = strawberry.field(
        description="When it succeeded; null until then."
    )
    bounced_at: datetime | None = strawberry.field(
        description="A mail's latest bounce: when it was reported; null when none came."
    )
    bounce_status: str | None = strawberry.field(
        description='The bounce\'s status code, e.g. "5.1.1" (5.x.x: permanent).'
    )
    bounce_diagnostic: str | None = strawberry.field(
        description="What the receiving server said about it."
    )
    created_at: datetime = strawberry.field(description="When it was queued.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    detail: strawberry.Private[Row | None]

    @classmethod
    def from_rest(cls, row: Row) -> Delivery:
        return cls(
            id=to_id(row["id"]),
            channel=DeliveryChannel(row["channel"]),
            target=row["target"],
            endpoint_id=optional_id(row.get("endpoint_id")),
            customer_id=optional_id(row.get("customer_id")),
            event_id=row["event_id"],
            event_source=row["event_source"],
            event_type=row["event_type"],
            event_time=datetime.fromisoformat(row["event_time"]),
            status=DeliveryStatus(row["status"]),
            attempt_count=int(row["attempts"]),
            next_attempt_at=optional_datetime(row.get("next_attempt_at")),
            last_status_code=row.get("last_status_code"),
            last_error=row.get("last_error"),
            delivered_at=optional_datetime(row.get("delivered_at")),
            bounced_at=optional_datetime(row.get("bounced_at")),
            bounce_status=row.get("bounce_status"),
            bounce_diagnostic=row.get("bounce_diagnostic"),
            created_at=datetime.fromisoformat(row["created_at"]),
            updated_at=datetime.fromisoformat(row["updated_at"]),
            # Only the single delivery's answer carries the payload and the attempts.
            detail=row if "attempt_log" in row else None,
        )

    async def _detail(self, info: Info) -> Row:
        if self.detail is not None:
            return self.detail
        row: Row = await info.context.loaders.notify.by_path.load(delivery_path(str(self.id)))
        return row

    @strawberry.field(description="Every try, oldest first.")
    async def attempts(self, info: Info) -> list[DeliveryAttempt]:
        return [DeliveryAttempt.from_rest(row) for row in (await self._detail(info))["attempt_log"]]

    @strawberry.field(
        description="What notify keeps to send: the event's data (for a mail, its template too)."
    )
    async def payload(self, info: Info) -> JSON:
        return (await self._detail(info))["payload"]

    @strawberry.field(description="A webhook's endpoint; null once the endpoint is deleted.")
    async def endpoint(self, info: Info) -> WebhookEndpoint | None:
        if self.endpoint_id is None:
            return None
        try:
            row = await info.context.loaders.notify.by_path.load(
                endpoint_path(str(self.endpoint_id))
            )
        except GraphQLError as error:
            if (error.extensions or {}).get("code") == WEBHOOK_ENDPOINT_NOT_FOUND:
                return None
            raise
        return WebhookEndpoint.from_rest(row)

    @strawberry.field(
        description=(
            "The customer whose event it carries; null when none or the caller may not see it."
        )
    )
    async def customer(self, info: Info) -> Customer | None:
        return await Customer.load_optional(info, self.customer_id)


@strawberry.type(description="What `recoverDeliveries` queued again.")
class RecoveredDeliveries:
    requeued: int = strawberry.field(description="Deliveries queued again, due at once.")


@strawberry.type(
    description=(
        "A chat tool's incoming webhook that receives some event types (staff only). Its "
        "webhook URL is a secret of its own and is never shown."
    )
)
class ChatChannel:
    id: strawberry.ID = strawberry.field(description="The chat channel's ID.")
    tool: ChatTool = strawberry.field(description="The chat tool it posts to.")
    name: str = strawberry.field(description="A name to tell channels apart.")
    event_types: list[str] = strawberry.field(
        description="The event types posted, e.g. ticket.opened."
    )
    customer_id: strawberry.ID | None = strawberry.field(
        description="Only this customer's events; null: every customer's."
    )
    enabled: bool = strawberry.field(description="False once disabled; nothing is posted then.")
    disabled_at: datetime | None = strawberry.field(
        description="When it was disabled; null while enabled."
    )
    disabled_reason: str | None = strawberry.field(
        description="Why it was disabled; null while enabled."
    )
    created_at: datetime = strawberry.field(description="When it was created.")

    @classmethod
    def from_rest(cls, row: Row) -> ChatChannel:
        return cls(
            id=to_id(row["id"]),
            tool=ChatTool(row["kind"]),
            name=row["name"],
            event_types=list(row["event_types"]),
            customer_id=optional_id(row.get("customer_id")),
            enabled=row.get("disabled_at") is None,
            disabled_at=optional_datetime(row.get("disabled_at")),
            disabled_reason=row.get("disabled_reason"),
            created_at=datetime.fromisoformat(row["created_at"]),
        )

    @strawberry.field(description="Whose events it posts; null: every customer's.")
    async def customer(self, info: Info) -> Customer | None:
        return await Customer.load_optional(info, self.customer_id)
