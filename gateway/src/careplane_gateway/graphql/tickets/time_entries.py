"""Time worked on a case: its entries on the ``Ticket`` type (the vendor's side) and the
mutations that record, change and remove them (staff). A billable entry is billed by
contracts at once, per started half hour, and changes no more (TIME_ENTRY_BILLED)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError

from careplane_gateway.graphql.arguments import given, iso, uuid_arg
from careplane_gateway.graphql.context import Info
from careplane_gateway.graphql.convert import Row, optional_datetime, to_id

ROLE_FORBIDDEN = "ROLE_FORBIDDEN"
PAGE = 200


@strawberry.enum(description="What the time went to.")
class TimeActivity(Enum):
    INVESTIGATION = strawberry.enum_value("investigation", description="Finding the cause.")
    COMMUNICATION = strawberry.enum_value("communication", description="Calls and mail.")
    REMOTE_SESSION = strawberry.enum_value(
        "remote_session", description="Working on the customer's systems remotely."
    )
    OTHER_SUPPORT = strawberry.enum_value(
        "other_support", description="Support the plan does not cover (seed 002, 003)."
    )
    DEVELOPMENT = strawberry.enum_value("development", description="A fix or a workaround.")


@strawberry.type(description="Time one person worked on a case.")
class TimeEntry:
    id: strawberry.ID = strawberry.field(description="The entry's ID.")
    ticket_id: strawberry.ID = strawberry.field(description="The case worked on.")
    agent_id: str = strawberry.field(description="Who worked (the staff user's id).")
    agent_email: str | None = strawberry.field(description="Who worked, by address.")
    minutes: int = strawberry.field(description="Minutes worked.")
    activity: TimeActivity = strawberry.field(description="What the time went to.")
    billable: bool = strawberry.field(description="The customer pays for it.")
    billed_minutes: int | None = strawberry.field(
        description="Minutes billed: started half hours; null unless billable."
    )
    billed_at: datetime | None = strawberry.field(
        description="When it went to billing; from then on it does not change."
    )
    worked_at: datetime = strawberry.field(description="When the work was done.")
    note: str | None = strawberry.field(description="What was done.")

    @classmethod
    def from_rest(cls, row: Row) -> TimeEntry:
        return cls(
            id=to_id(row["id"]),
            ticket_id=to_id(row["ticket_id"]),
            agent_id=str(row["agent_id"]),
            agent_email=row.get("agent_email"),
            minutes=int(row["minutes"]),
            activity=TimeActivity(row["activity"]),
            billable=bool(row["billable"]),
            billed_minutes=row.get("billed_minutes"),
            billed_at=optional_datetime(row.get("billed_at")),
            worked_at=datetime.fromisoformat(row["worked_at"]),
            note=row.get("note"),
        )


@strawberry.type(description="A case's time entries (its first 200) and its totals.")
class TimeSheet:
    entries: list[TimeEntry] = strawberry.field(description="Oldest work first.")
    total: int = strawberry.field(description="Entries on the case.")
    total_minutes: int = strawberry.field(description="Minutes worked on the case.")
    billable_minutes: int = strawberry.field(description="Of which billable.")
    billed_minutes: int = strawberry.field(description="Minutes billed (started half hours).")


async def time_sheet(info: Info, ticket_id: object) -> TimeSheet | None:
    """The case's time, or null for a caller who may not see it (a customer)."""
    path = f"/v1/tickets/{uuid_arg(ticket_id, 'ticketId')}/time-entries"
    try:
        page = await info.context.tickets.get(path, params={"limit": PAGE})
    except GraphQLError as error:
        if (error.extensions or {}).get("code") == ROLE_FORBIDDEN:
            return None
        raise
    return TimeSheet(
        entries=[TimeEntry.from_rest(row) for row in page["items"]],
        total=int(page["total"]),
        total_minutes=int(page["total_minutes"]),
        billable_minutes=int(page["billable_minutes"]),
        billed_minutes=int(page["billed_minutes"]),
    )


@strawberry.input(description="Time worked on a case.")
class TimeEntryInput:
    minutes: int = strawberry.field(description="Minutes worked (1 to 1440).")
    activity: TimeActivity = strawberry.field(description="What the time went to.")
    billable: bool = strawberry.field(default=False, description="The customer pays for it.")
    worked_at: datetime | None = strawberry.field(default=None, description="Default: now.")
    note: str | None = strawberry.field(default=None, description="What was done.")

    def to_rest(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "minutes": self.minutes,
            "activity": self.activity.value,
            "billable": self.billable,
            "note": self.note,
        }
        if self.worked_at is not None:
            body["worked_at"] = iso(self.worked_at)
        return body


@strawberry.input(description="What changes in a time entry not billed yet; the rest stays.")
class TimeEntryChange:
    minutes: int | None = strawberry.field(default=strawberry.UNSET, description="Minutes.")
    activity: TimeActivity | None = strawberry.field(
        default=strawberry.UNSET, description="What the time went to."
    )
    billable: bool | None = strawberry.field(
        default=strawberry.UNSET, description="True bills it now."
    )
    note: str | None = strawberry.field(default=strawberry.UNSET, description="What was done.")

    def to_rest(self) -> dict[str, Any]:
        body = given(
            {
                "minutes": self.minutes,
                "activity": self.activity,
                "billable": self.billable,
                "note": self.note,
            }
        )
        if isinstance(body.get("activity"), TimeActivity):
            body["activity"] = body["activity"].value
        return body


TicketId = Annotated[strawberry.ID, strawberry.argument(description="The case's `id`.")]
EntryId = Annotated[strawberry.ID, strawberry.argument(description="The entry's `id`.")]


def _path(ticket_id: object, entry_id: object | None = None) -> str:
    path = f"/v1/tickets/{uuid_arg(ticket_id, 'ticketId')}/time-entries"
    return path if entry_id is None else f"{path}/{uuid_arg(entry_id, 'entryId')}"


@strawberry.type
class TimeEntriesMutation:
    @strawberry.mutation(
        description=(
            "Staff record time worked on a case. A billable entry is billed by contracts at "
            "once as other support (per started half hour) and changes no more."
        )
    )
    async def add_time_entry(
        self,
        info: Info,
        ticket_id: TicketId,
        input: Annotated[TimeEntryInput, strawberry.argument(description="The time worked.")],
    ) -> TimeEntry:
        row = await info.context.tickets.post(_path(ticket_id), json=input.to_rest())
        return TimeEntry.from_rest(row)

    @strawberry.mutation(
        description="Changes an entry not billed yet (TIME_ENTRY_BILLED otherwise)."
    )
    async def update_time_entry(
        self,
        info: Info,
        ticket_id: TicketId,
        entry_id: EntryId,
        input: Annotated[TimeEntryChange, strawberry.argument(description="What changes.")],
    ) -> TimeEntry:
        row = await info.context.tickets.request(
            "PATCH", _path(ticket_id, entry_id), json=input.to_rest()
        )
        return TimeEntry.from_rest(row)

    @strawberry.mutation(
        description="Removes an entry not billed yet (TIME_ENTRY_BILLED otherwise); true."
    )
    async def delete_time_entry(self, info: Info, ticket_id: TicketId, entry_id: EntryId) -> bool:
        await info.context.tickets.request("DELETE", _path(ticket_id, entry_id))
        return True
