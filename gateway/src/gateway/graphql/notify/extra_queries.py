"""Root query fields for notify's announcements, maintenance windows, mail preferences, case
watchers and staff digest; ``NotifyQuery`` inherits them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from gateway.graphql.arguments import optional_uuid_arg, uuid_arg
from gateway.graphql.context import Info
from gateway.graphql.notify.extra_types import (
    STAFF_DIGEST_PATH,
    Announcement,
    AnnouncementStatus,
    ContactPreferences,
    MaintenanceKind,
    MaintenanceStatus,
    MaintenanceWindow,
    Milestone,
    StaffDigestSettings,
    TicketWatcher,
    announcement_path,
    maintenance_path,
    preferences_path,
    watchers_path,
)
from gateway.graphql.pagination import After, Connection, First, PageRequest, connection


def _present(params: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in params.items() if value is not None}


@strawberry.type
class NotifyExtraQuery:
    @strawberry.field(
        description=(
            "EOS, EOMS and EOL announcements, newest first. Staff see every one; a customer "
            "those it was sent."
        )
    )
    async def announcements(
        self,
        info: Info,
        status: AnnouncementStatus | None = None,
        product_id: strawberry.ID | None = None,
        milestone: Milestone | None = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Announcement]:
        page = PageRequest.of(first, after)
        params = _present(
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
    async def announcement(self, info: Info, id: strawberry.ID) -> Announcement | None:
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
        status: MaintenanceStatus | None = None,
        kind: MaintenanceKind | None = None,
        ending_after: datetime | None = None,
        first: First = None,
        after: After = None,
    ) -> Connection[MaintenanceWindow]:
        page = PageRequest.of(first, after)
        params = _present(
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
    async def maintenance_window(self, info: Info, id: strawberry.ID) -> MaintenanceWindow | None:
        row = await info.context.notify.get(maintenance_path(uuid_arg(id, "id")))
        return MaintenanceWindow.from_rest(row)

    @strawberry.field(
        description=(
            "A contact's mail preferences. The contact itself, its customer's administrators "
            "and staff may read them."
        )
    )
    async def contact_preferences(
        self, info: Info, contact_id: strawberry.ID
    ) -> ContactPreferences:
        row = await info.context.notify.get(preferences_path(uuid_arg(contact_id, "contactId")))
        return ContactPreferences.from_rest(row)

    @strawberry.field(
        description=(
            "Contacts of the case's customer who get its mail besides the requester; whoever "
            "may see the case may see them."
        )
    )
    async def ticket_watchers(self, info: Info, ticket_id: strawberry.ID) -> list[TicketWatcher]:
        rows = await info.context.notify.get(watchers_path(uuid_arg(ticket_id, "ticketId")))
        return [TicketWatcher.from_rest(row) for row in rows]

    @strawberry.field(description="Staff: quiet hours and the digest for non-urgent staff mail.")
    async def staff_digest_settings(self, info: Info) -> StaffDigestSettings:
        row = await info.context.notify.get(STAFF_DIGEST_PATH)
        return StaffDigestSettings.from_rest(row)
