"""Mutations for notify's maintenance windows, mail preferences, case watchers and staff
digest; ``NotifyMutation`` inherits them. Refusals keep notify's codes: CATEGORY_ESSENTIAL,
UNKNOWN_CATEGORY, ALREADY_CANCELLED, CONTRACTS_UNAVAILABLE, ROLE_FORBIDDEN, VALIDATION_ERROR,
and each resource's own not-found code."""

from __future__ import annotations

from typing import Annotated

import strawberry

from gateway.graphql.arguments import uuid_arg
from gateway.graphql.context import Info
from gateway.graphql.errors import gateway_error
from gateway.graphql.notify.extra_inputs import (
    ContactPreferencesInput,
    MaintenanceWindowInput,
    StaffDigestSettingsInput,
)
from gateway.graphql.notify.extra_types import (
    STAFF_DIGEST_PATH,
    ContactPreferences,
    MaintenanceWindow,
    StaffDigestSettings,
    TicketWatcher,
    maintenance_path,
    preferences_path,
    watchers_path,
)

WindowId = Annotated[strawberry.ID, strawberry.argument(description="The window's `id`.")]


@strawberry.type
class NotifyExtraMutation:
    @strawberry.mutation(
        description=(
            "Staff announce a maintenance window: every affected customer's contacts get one "
            "mail with an `.ics` file. CONTRACTS_UNAVAILABLE when the customers cannot be "
            "read: then nothing was recorded or sent."
        )
    )
    async def create_maintenance_window(
        self, info: Info, input: MaintenanceWindowInput
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
        self, info: Info, id: WindowId, reason: str | None = None
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
        self, info: Info, contact_id: strawberry.ID, input: ContactPreferencesInput
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
        ticket_id: strawberry.ID,
        contact_id: strawberry.ID | None = None,
        email: str | None = None,
    ) -> TicketWatcher:
        if (contact_id is None) == (email is None):
            raise gateway_error(
                "VALIDATION_ERROR", "Give `contactId` or `email`.", argument="contactId"
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
        self, info: Info, ticket_id: strawberry.ID, contact_id: strawberry.ID
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
        self, info: Info, input: StaffDigestSettingsInput
    ) -> StaffDigestSettings:
        row = await info.context.notify.request("PUT", STAFF_DIGEST_PATH, json=input.to_rest())
        return StaffDigestSettings.from_rest(row)
