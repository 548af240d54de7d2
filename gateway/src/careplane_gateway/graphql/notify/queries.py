"""The notify domain's root query fields: announcements, maintenance windows, mail settings,
then webhooks, deliveries and chat channels."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry

from careplane_gateway.graphql.arguments import optional_uuid_arg, present, uuid_arg
from careplane_gateway.graphql.context import Info
from careplane_gateway.graphql.notify.announcements import Announcement, MaintenanceWindow
from careplane_gateway.graphql.notify.enums import (
    AnnouncementStatus,
    MaintenanceKind,
    MaintenanceStatus,
    Milestone,
)
from careplane_gateway.graphql.notify.inputs import DeliveryFilter
from careplane_gateway.graphql.notify.mail import (
    ContactPreferences,
    StaffDigestSettings,
    TicketWatcher,
)
from careplane_gateway.graphql.notify.paths import (
    STAFF_DIGEST_PATH,
    announcement_path,
    delivery_path,
    endpoint_path,
    maintenance_path,
    preferences_path,
    watchers_path,
)
from careplane_gateway.graphql.notify.types import ChatChannel, Delivery, WebhookEndpoint
from careplane_gateway.graphql.pagination import After, Connection, First, PageRequest, connection


@strawberry.type
class NotifyQuery:
    @strawberry.field(
        description=(
            "EOS, EOMS and EOL announcements, newest first. Staff see every one; a customer "
            "those it was sent."
        )
    )
    async def announcements(
        self,
        info: Info,
        status: Annotated[
            AnnouncementStatus | None,
            strawberry.argument(description="Only announcements in this status."),
        ] = None,
        product_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only announcements about this product."),
        ] = None,
        milestone: Annotated[
            Milestone | None,
            strawberry.argument(description="Only announcements of this milestone."),
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Announcement]:
        page = PageRequest.of(first, after)
        params = present(
            {
                "status": status.value if status else None,
                "product_id": optional_uuid_arg(product_id, "productId"),
                "milestone": milestone.value if milestone else None,
                **page.params(),
            }
        )
        body = await info.context.notify.get("/v1/announcements", params=params)
        return connection(body, page, Announcement.from_rest)

    @strawberry.field(
        description="One announcement with its proof of sending per customer (`recipients`)."
    )
    async def announcement(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The announcement's ID.")],
    ) -> Announcement | None:
        row = await info.context.notify.get(announcement_path(uuid_arg(id, "id")))
        return Announcement.from_rest(row)

    @strawberry.field(
        description=(
            "Maintenance windows, latest start first. Staff see every window; a customer "
            "those it was told of."
        )
    )
    async def maintenance_windows(
        self,
        info: Info,
        status: Annotated[
            MaintenanceStatus | None,
            strawberry.argument(description="Only windows in this status."),
        ] = None,
        kind: Annotated[
            MaintenanceKind | None, strawberry.argument(description="Only windows of this kind.")
        ] = None,
        ending_after: Annotated[
            datetime | None,
            strawberry.argument(description="Only windows that end after this time."),
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[MaintenanceWindow]:
        page = PageRequest.of(first, after)
        params = present(
            {
                "status": status.value if status else None,
                "kind": kind.value if kind else None,
                "ending_after": ending_after.isoformat() if ending_after else None,
                **page.params(),
            }
        )
        body = await info.context.notify.get("/v1/maintenance-windows", params=params)
        return connection(body, page, MaintenanceWindow.from_rest)

    @strawberry.field(description="One maintenance window with each customer told.")
    async def maintenance_window(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The window's ID.")],
    ) -> MaintenanceWindow | None:
        row = await info.context.notify.get(maintenance_path(uuid_arg(id, "id")))
        return MaintenanceWindow.from_rest(row)

    @strawberry.field(
        description=(
            "A contact's mail preferences. The contact itself, its customer's administrators "
            "and staff may read them."
        )
    )
    async def contact_preferences(
        self,
        info: Info,
        contact_id: Annotated[strawberry.ID, strawberry.argument(description="The contact.")],
    ) -> ContactPreferences:
        row = await info.context.notify.get(preferences_path(uuid_arg(contact_id, "contactId")))
        return ContactPreferences.from_rest(row)

    @strawberry.field(
        description=(
            "Contacts of the case's customer who get its mail besides the requester; whoever "
            "may see the case may see them."
        )
    )
    async def ticket_watchers(
        self,
        info: Info,
        ticket_id: Annotated[strawberry.ID, strawberry.argument(description="The case.")],
    ) -> list[TicketWatcher]:
        rows = await info.context.notify.get(watchers_path(uuid_arg(ticket_id, "ticketId")))
        return [TicketWatcher.from_rest(row) for row in rows]

    @strawberry.field(description="Staff: quiet hours and the digest for non-urgent staff mail.")
    async def staff_digest_settings(self, info: Info) -> StaffDigestSettings:
        row = await info.context.notify.get(STAFF_DIGEST_PATH)
        return StaffDigestSettings.from_rest(row)

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
    async def webhook_endpoint(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The endpoint's ID.")],
    ) -> WebhookEndpoint | None:
        row = await info.context.loaders.notify.by_path.load(endpoint_path(uuid_arg(id, "id")))
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
        filter: Annotated[
            DeliveryFilter | None,
            strawberry.argument(description="Which deliveries; all the caller may see when null."),
        ] = None,
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
    async def delivery(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The delivery's ID.")],
    ) -> Delivery | None:
        row = await info.context.loaders.notify.by_path.load(delivery_path(uuid_arg(id, "id")))
        return Delivery.from_rest(row)

    @strawberry.field(description="Staff: the chat channels notify posts to, oldest first.")
    async def chat_channels(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[ChatChannel]:
        page = PageRequest.of(first, after)
        body = await info.context.notify.get("/v1/chat-channels", params=page.params())
        return connection(body, page, ChatChannel.from_rest)
