"""The notify domain's mutations. A refusal comes back as a GraphQL error whose
``extensions.code`` is notify's own: PRIVATE_TARGET, UNSUPPORTED_SCHEME, INVALID_URL (a URL
notify will not post to), CATEGORY_ESSENTIAL, UNKNOWN_CATEGORY, ALREADY_CANCELLED,
CONTRACTS_UNAVAILABLE, WEBHOOK_ENDPOINT_NOT_FOUND, DELIVERY_NOT_FOUND, CHAT_CHANNEL_NOT_FOUND
(and each other resource's own not-found code), ROLE_FORBIDDEN, VALIDATION_ERROR."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from careplane_gateway.graphql.arguments import VALIDATION_ERROR, optional_uuid_arg, uuid_arg
from careplane_gateway.graphql.context import Info
from careplane_gateway.graphql.errors import gateway_error
from careplane_gateway.graphql.notify.announcements import MaintenanceWindow
from careplane_gateway.graphql.notify.enums import DeliveryChannel
from careplane_gateway.graphql.notify.inputs import (
    ChatChannelInput,
    ContactPreferencesInput,
    MaintenanceWindowInput,
    StaffDigestSettingsInput,
    WebhookEndpointUpdateInput,
)
from careplane_gateway.graphql.notify.mail import (
    ContactPreferences,
    StaffDigestSettings,
    TicketWatcher,
)
from careplane_gateway.graphql.notify.paths import (
    STAFF_DIGEST_PATH,
    chat_channel_path,
    delivery_path,
    endpoint_path,
    maintenance_path,
    preferences_path,
    watchers_path,
)
from careplane_gateway.graphql.notify.types import (
    ChatChannel,
    Delivery,
    RecoveredDeliveries,
    WebhookEndpoint,
)

WindowId = Annotated[strawberry.ID, strawberry.argument(description="The window's `id`.")]
EndpointId = Annotated[strawberry.ID, strawberry.argument(description="The endpoint's `id`.")]
DeliveryId = Annotated[strawberry.ID, strawberry.argument(description="The delivery's `id`.")]


@strawberry.type
class NotifyMutation:
    @strawberry.mutation(
        description=(
            "Staff announce a maintenance window: every affected customer's contacts get one "
            "mail with an `.ics` file. CONTRACTS_UNAVAILABLE when the customers cannot be "
            "read: then nothing was recorded or sent."
        )
    )
    async def create_maintenance_window(
        self,
        info: Info,
        input: Annotated[
            MaintenanceWindowInput, strawberry.argument(description="The new window.")
        ],
    ) -> MaintenanceWindow:
        row = await info.context.notify.post("/v1/maintenance-windows", json=input.to_rest())
        return MaintenanceWindow.from_rest(row)

    @strawberry.mutation(
        description=(
            "Staff cancel a maintenance window: everyone told gets a METHOD:CANCEL `.ics`. "
            "ALREADY_CANCELLED for one cancelled before."
        )
    )
    async def cancel_maintenance_window(
        self,
        info: Info,
        id: WindowId,
        reason: Annotated[
            str | None, strawberry.argument(description="Why; told to the customers.")
        ] = None,
    ) -> MaintenanceWindow:
        row = await info.context.notify.post(
            f"{maintenance_path(uuid_arg(id, 'id'))}/cancel", json={"reason": reason}
        )
        return MaintenanceWindow.from_rest(row)

    @strawberry.mutation(
        description=(
            "Replaces the categories a contact opted out of. Essential notices are refused "
            "with CATEGORY_ESSENTIAL, unknown ones with UNKNOWN_CATEGORY."
        )
    )
    async def set_contact_preferences(
        self,
        info: Info,
        contact_id: Annotated[strawberry.ID, strawberry.argument(description="The contact.")],
        input: Annotated[
            ContactPreferencesInput, strawberry.argument(description="The categories opted out of.")
        ],
    ) -> ContactPreferences:
        row = await info.context.notify.request(
            "PUT", preferences_path(uuid_arg(contact_id, "contactId")), json=input.to_rest()
        )
        return ContactPreferences.from_rest(row)

    @strawberry.mutation(
        description=(
            "Adds a contact of the case's customer, by `contactId` or `email` (exactly one), "
            "to the case's replies and status mail; answers the watcher it follows already."
        )
    )
    async def add_ticket_watcher(
        self,
        info: Info,
        ticket_id: Annotated[strawberry.ID, strawberry.argument(description="The case.")],
        contact_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="A contact to copy in; give this or `email`."),
        ] = None,
        email: Annotated[
            str | None,
            strawberry.argument(
                description="An email address to copy in; give this or `contactId`."
            ),
        ] = None,
    ) -> TicketWatcher:
        if (contact_id is None) == (email is None):
            raise gateway_error(
                VALIDATION_ERROR, "Give `contactId` or `email`.", argument="contactId"
            )
        body = (
            {"contact_id": uuid_arg(contact_id, "contactId")}
            if contact_id is not None
            else {"email": email}
        )
        row = await info.context.notify.post(
            watchers_path(uuid_arg(ticket_id, "ticketId")), json=body
        )
        return TicketWatcher.from_rest(row)

    @strawberry.mutation(description="Stops a contact following a case; answers the contact's id.")
    async def remove_ticket_watcher(
        self,
        info: Info,
        ticket_id: Annotated[strawberry.ID, strawberry.argument(description="The case.")],
        contact_id: Annotated[
            strawberry.ID, strawberry.argument(description="The watching contact.")
        ],
    ) -> strawberry.ID:
        ticket = uuid_arg(ticket_id, "ticketId")
        contact = uuid_arg(contact_id, "contactId")
        await info.context.notify.request("DELETE", f"{watchers_path(ticket)}/{contact}")
        return strawberry.ID(contact)

    @strawberry.mutation(
        description=(
            "Administrators and managers change quiet hours and the digest interval; it "
            "applies to staff mail arriving from now on."
        )
    )
    async def set_staff_digest_settings(
        self,
        info: Info,
        input: Annotated[
            StaffDigestSettingsInput, strawberry.argument(description="The settings.")
        ],
    ) -> StaffDigestSettings:
        row = await info.context.notify.request("PUT", STAFF_DIGEST_PATH, json=input.to_rest())
        return StaffDigestSettings.from_rest(row)

    @strawberry.mutation(
        description=(
            "Registers a receiver of signed webhooks (Standard Webhooks v1) for the given "
            'event types ("*" for every type). The answer carries the endpoint\'s whsec_ '
            "secret: the only time it is shown. Notify refuses a URL it will not post to: "
            "PRIVATE_TARGET (private, loopback, link-local or multicast), "
            "UNSUPPORTED_SCHEME (not http or https), INVALID_URL."
        )
    )
    async def register_webhook(
        self,
        info: Info,
        url: Annotated[
            str, strawberry.argument(description="The HTTPS URL that receives the signed POSTs.")
        ],
        event_types: Annotated[
            list[str],
            strawberry.argument(description="The event types to receive, e.g. ticket.opened."),
        ],
        description: Annotated[
            str | None, strawberry.argument(description="A note to tell endpoints apart.")
        ] = None,
        customer_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description=(
                    "Staff: only this customer's events (none: every customer's). A "
                    "customer's administrators and keys always register for their own."
                )
            ),
        ] = None,
    ) -> WebhookEndpoint:
        body = {
            "url": url,
            "event_types": event_types,
            "description": description,
            "customer_id": optional_uuid_arg(customer_id, "customerId"),
        }
        row = await info.context.notify.post("/v1/webhook-endpoints", json=body)
        return WebhookEndpoint.from_rest(row)

    @strawberry.mutation(
        description=(
            "Changes a webhook endpoint's URL, event types or description; `enabled: true` "
            "re-enables one notify disabled."
        )
    )
    async def update_webhook_endpoint(
        self,
        info: Info,
        id: EndpointId,
        input: Annotated[
            WebhookEndpointUpdateInput,
            strawberry.argument(description="The changes; null fields are left as they are."),
        ],
    ) -> WebhookEndpoint:
        row = await info.context.notify.request(
            "PATCH", endpoint_path(uuid_arg(id, "id")), json=input.to_rest()
        )
        return WebhookEndpoint.from_rest(row)

    @strawberry.mutation(
        description=(
            "Issues a new secret, shown only in this answer. Until `previousSecretExpiresAt` "
            "every delivery carries two signatures, one per secret, so the receiver can "
            "switch over without losing a delivery."
        )
    )
    async def rotate_webhook_secret(self, info: Info, id: EndpointId) -> WebhookEndpoint:
        row = await info.context.notify.post(f"{endpoint_path(uuid_arg(id, 'id'))}/rotate-secret")
        return WebhookEndpoint.from_rest(row)

    @strawberry.mutation(
        description=(
            "Deletes a webhook endpoint and answers its id. Its deliveries stay on record; "
            "those not yet delivered are marked FAILED."
        )
    )
    async def delete_webhook_endpoint(self, info: Info, id: EndpointId) -> strawberry.ID:
        key = uuid_arg(id, "id")
        await info.context.notify.request("DELETE", endpoint_path(key))
        return strawberry.ID(key)

    @strawberry.mutation(
        description=(
            "Queues a delivery again at once, whatever its state, with a fresh retry schedule. "
            "A webhook keeps its webhook-id, so a receiver that already has it can drop it."
        )
    )
    async def resend_delivery(self, info: Info, id: DeliveryId) -> Delivery:
        row = await info.context.notify.post(f"{delivery_path(uuid_arg(id, 'id'))}/resend")
        return Delivery.from_rest(row)

    @strawberry.mutation(
        description=(
            "Queues again every FAILED or DEAD delivery created since `since` (and before "
            "`until`, to one endpoint, on one channel, when given), due at once with a fresh "
            "retry schedule: for a receiver that was down longer than the retries last."
        )
    )
    async def recover_deliveries(
        self,
        info: Info,
        since: Annotated[
            datetime, strawberry.argument(description="Deliveries created at or after this time.")
        ],
        until: Annotated[
            datetime | None, strawberry.argument(description="Deliveries created before this time.")
        ] = None,
        endpoint_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only deliveries to this webhook endpoint."),
        ] = None,
        channel: Annotated[
            DeliveryChannel | None,
            strawberry.argument(description="Only deliveries on this channel."),
        ] = None,
    ) -> RecoveredDeliveries:
        body = {
            "since": since.isoformat(),
            "until": until.isoformat() if until else None,
            "endpoint_id": optional_uuid_arg(endpoint_id, "endpointId"),
            "channel": channel.value if channel else None,
        }
        row = await info.context.notify.post("/v1/deliveries/recover", json=body)
        return RecoveredDeliveries(requeued=int(row["requeued"]))

    @strawberry.mutation(
        description=(
            "Staff connect a chat tool's incoming webhook (Slack, Teams Workflows, Mattermost, "
            "Discord, Google Chat) to event types. The URL is refused as `registerWebhook`'s is."
        )
    )
    async def create_chat_channel(
        self,
        info: Info,
        input: Annotated[
            ChatChannelInput, strawberry.argument(description="The new chat channel.")
        ],
    ) -> ChatChannel:
        row = await info.context.notify.post("/v1/chat-channels", json=input.to_rest())
        return ChatChannel.from_rest(row)

    @strawberry.mutation(
        description="Staff disconnect a chat channel and get its id; its deliveries stay."
    )
    async def delete_chat_channel(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The channel's `id`.")],
    ) -> strawberry.ID:
        key = uuid_arg(id, "id")
        await info.context.notify.request("DELETE", chat_channel_path(key))
        return strawberry.ID(key)
