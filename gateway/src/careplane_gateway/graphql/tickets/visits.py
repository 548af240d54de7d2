"""Scheduled customer visits, emergencies and the on-call rota (tickets' ``/v1/visits``,
``/v1/tickets/{id}/emergency`` and ``/v1/oncall-shifts``). Refusals keep tickets' codes:
VISIT_TOO_SOON, VISIT_NOT_IN_PLAN, VISIT_OVERLAPS, EMERGENCY_NOT_IN_PLAN,
EMERGENCY_ALREADY_DECLARED, SUPPORT_CENTER_UNKNOWN, ROLE_FORBIDDEN, ..."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry

from careplane_gateway.graphql.arguments import iso, optional_uuid_arg, present, uuid_arg
from careplane_gateway.graphql.context import Info
from careplane_gateway.graphql.convert import Row, optional_datetime, optional_id, to_id
from careplane_gateway.graphql.pagination import After, Connection, First, PageRequest, connection

VisitId = Annotated[strawberry.ID, strawberry.argument(description="The visit's `id`.")]
ShiftId = Annotated[strawberry.ID, strawberry.argument(description="The shift's `id`.")]
TicketId = Annotated[strawberry.ID, strawberry.argument(description="The case's `id`.")]
Center = Annotated[str, strawberry.argument(description="A support center's code.")]
Since = Annotated[
    datetime | None, strawberry.argument(description="Only what ends after this moment.")
]
Until = Annotated[
    datetime | None, strawberry.argument(description="Only what starts before this moment.")
]
Reason = Annotated[str, strawberry.argument(description="Why, in a sentence or two.")]


@strawberry.enum(description="Where a scheduled visit stands.")
class VisitStatus(Enum):
    REQUESTED = strawberry.enum_value("REQUESTED", description="Asked for by the customer.")
    CONFIRMED = strawberry.enum_value("CONFIRMED", description="Booked or confirmed by staff.")
    CANCELLED = strawberry.enum_value("CANCELLED", description="Called off.")


@strawberry.type(
    description=(
        "A customer's scheduled visit (seed 001): booked at least two days ahead; while a "
        "confirmed one runs, the customer's new cases have a 15-minute response target."
    )
)
class Visit:
    id: strawberry.ID = strawberry.field(description="The visit's ID.")
    customer_id: strawberry.ID = strawberry.field(description="Whose visit it is.")
    customer_name: str | None = strawberry.field(description="The customer's name then.")
    support_center: str | None = strawberry.field(description="The center that supports it.")
    starts_at: datetime = strawberry.field(description="When it starts.")
    ends_at: datetime = strawberry.field(description="When it ends.")
    status: VisitStatus = strawberry.field(description="REQUESTED, CONFIRMED or CANCELLED.")
    purpose: str | None = strawberry.field(description="What the visit is for.")
    location: str | None = strawberry.field(description="Where it takes place.")
    requested_by: str = strawberry.field(description="Who asked for or booked it.")
    booked_by: str | None = strawberry.field(description="The staff member who confirmed it.")
    confirmed_at: datetime | None = strawberry.field(description="When it was confirmed.")
    cancelled_at: datetime | None = strawberry.field(description="When it was cancelled.")
    cancel_reason: str | None = strawberry.field(description="Why it was cancelled.")
    started_event_at: datetime | None = strawberry.field(
        description="When the on-duty staff were alerted that it started."
    )

    @classmethod
    def from_rest(cls, row: Row) -> Visit:
        return cls(
            id=to_id(row["id"]),
            customer_id=to_id(row["customer_id"]),
            customer_name=row.get("customer_name"),
            support_center=row.get("support_center"),
            starts_at=datetime.fromisoformat(row["starts_at"]),
            ends_at=datetime.fromisoformat(row["ends_at"]),
            status=VisitStatus(row["status"]),
            purpose=row.get("purpose"),
            location=row.get("location"),
            requested_by=row["requested_by"],
            booked_by=row.get("booked_by"),
            confirmed_at=optional_datetime(row.get("confirmed_at")),
            cancelled_at=optional_datetime(row.get("cancelled_at")),
            cancel_reason=row.get("cancel_reason"),
            started_event_at=optional_datetime(row.get("started_event_at")),
        )


@strawberry.type(description="A case declared an emergency (seeds 001, 003).")
class Emergency:
    id: strawberry.ID = strawberry.field(description="The emergency's ID.")
    ticket_id: strawberry.ID = strawberry.field(description="The case.")
    support_center: str | None = strawberry.field(description="The center alerted.")
    reason: str = strawberry.field(description="What is at stake.")
    declared_by: str = strawberry.field(description="Who declared it.")
    declared_at: datetime = strawberry.field(description="When.")
    billable: bool = strawberry.field(description="The plan bills each emergency call.")
    alerted: list[str] | None = strawberry.field(
        description="The on-call staff alerted; null for a customer's callers (staff addresses)."
    )

    @classmethod
    def from_rest(cls, row: Row) -> Emergency:
        return cls(
            id=to_id(row["id"]),
            ticket_id=to_id(row["ticket_id"]),
            support_center=row.get("support_center"),
            reason=row["reason"],
            declared_by=row["declared_by"],
            declared_at=datetime.fromisoformat(row["declared_at"]),
            billable=bool(row["billable"]),
            alerted=None if row.get("alerted") is None else list(row["alerted"]),
        )


@strawberry.type(description="Someone on call for a support center from when to when.")
class OnCallShift:
    id: strawberry.ID = strawberry.field(description="The shift's ID.")
    support_center: str = strawberry.field(description="The support center's code.")
    staff_email: str = strawberry.field(description="Who is on call.")
    staff_id: strawberry.ID | None = strawberry.field(description="Their staff account, if named.")
    starts_at: datetime = strawberry.field(description="From.")
    ends_at: datetime = strawberry.field(description="Until (excluded).")
    note: str | None = strawberry.field(description="A note for the team.")

    @classmethod
    def from_rest(cls, row: Row) -> OnCallShift:
        return cls(
            id=to_id(row["id"]),
            support_center=row["support_center"],
            staff_email=row["staff_email"],
            staff_id=optional_id(row.get("staff_id")),
            starts_at=datetime.fromisoformat(row["starts_at"]),
            ends_at=datetime.fromisoformat(row["ends_at"]),
            note=row.get("note"),
        )


@strawberry.type(description="Who is on call for a support center at a moment.")
class OnCallNow:
    support_center: str = strawberry.field(description="The support center's code.")
    at: datetime = strawberry.field(description="The moment asked about.")
    timezone: str | None = strawberry.field(description="The center's timezone.")
    staff: list[str] = strawberry.field(description="The addresses on call, each once.")
    shifts: list[OnCallShift] = strawberry.field(description="The shifts covering it.")


@strawberry.input(description="A visit to book (staff) or ask for (a customer).")
class ScheduleVisitInput:
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="Staff: whose visit; a customer's caller books its own."
    )
    starts_at: datetime = strawberry.field(description="At least 48 hours from now.")
    ends_at: datetime = strawberry.field(description="After starts_at, at most 14 days later.")
    purpose: str | None = strawberry.field(default=None, description="What it is for.")
    location: str | None = strawberry.field(default=None, description="Where.")

    def to_rest(self) -> dict[str, Any]:
        return {
            "customer_id": optional_uuid_arg(self.customer_id, "input.customerId"),
            "starts_at": iso(self.starts_at),
            "ends_at": iso(self.ends_at),
            "purpose": self.purpose,
            "location": self.location,
        }


@strawberry.input(description="An on-call shift (managers and admins).")
class OnCallShiftInput:
    support_center: str = strawberry.field(description="The support center's code.")
    staff_email: str = strawberry.field(description="Who is on call.")
    starts_at: datetime = strawberry.field(description="From.")
    ends_at: datetime = strawberry.field(description="Until (excluded), at most 7 days later.")
    note: str | None = strawberry.field(default=None, description="A note for the team.")

    def to_rest(self) -> dict[str, Any]:
        return {
            "support_center": self.support_center,
            "staff_email": self.staff_email,
            "starts_at": iso(self.starts_at),
            "ends_at": iso(self.ends_at),
            "note": self.note,
        }


@strawberry.input(description="What changes in an on-call shift; unset fields stay.")
class OnCallShiftChange:
    staff_email: str | None = strawberry.field(default=None, description="Who is on call.")
    starts_at: datetime | None = strawberry.field(default=None, description="From.")
    ends_at: datetime | None = strawberry.field(default=None, description="Until (excluded).")
    note: str | None = strawberry.field(default=None, description="A note for the team.")

    def to_rest(self) -> dict[str, Any]:
        return present(
            {
                "staff_email": self.staff_email,
                "starts_at": iso(self.starts_at),
                "ends_at": iso(self.ends_at),
                "note": self.note,
            }
        )


def _visit_path(visit_id: strawberry.ID) -> str:
    return f"/v1/visits/{uuid_arg(visit_id, 'visitId')}"


def _shift_path(shift_id: strawberry.ID) -> str:
    return f"/v1/oncall-shifts/{uuid_arg(shift_id, 'shiftId')}"


@strawberry.type
class VisitsQuery:
    @strawberry.field(
        description="Scheduled visits, soonest first; a customer's callers see their own."
    )
    async def visits(
        self,
        info: Info,
        customer_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Whose visits.")
        ] = None,
        status: Annotated[
            VisitStatus | None, strawberry.argument(description="Only visits in this status.")
        ] = None,
        since: Since = None,
        until: Until = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Visit]:
        page = PageRequest.of(first, after)
        params = present(
            {
                "customer_id": optional_uuid_arg(customer_id, "customerId"),
                "status": status.value if status else None,
                "since": iso(since),
                "until": iso(until),
            }
        )
        body = await info.context.tickets.get("/v1/visits", params={**params, **page.params()})
        return connection(body, page, Visit.from_rest)

    @strawberry.field(description="One visit (VISIT_NOT_FOUND for another customer's).")
    async def visit(self, info: Info, visit_id: VisitId) -> Visit:
        return Visit.from_rest(await info.context.tickets.get(_visit_path(visit_id)))

    @strawberry.field(description="A case's emergency (EMERGENCY_NOT_FOUND when it is none).")
    async def ticket_emergency(self, info: Info, ticket_id: TicketId) -> Emergency:
        path = f"/v1/tickets/{uuid_arg(ticket_id, 'ticketId')}/emergency"
        return Emergency.from_rest(await info.context.tickets.get(path))

    @strawberry.field(description="The vendor's side: on-call shifts, oldest start first.")
    async def on_call_shifts(
        self,
        info: Info,
        support_center: Annotated[
            str | None, strawberry.argument(description="Only this support center's.")
        ] = None,
        since: Since = None,
        until: Until = None,
        first: First = None,
        after: After = None,
    ) -> Connection[OnCallShift]:
        page = PageRequest.of(first, after)
        params = present(
            {"support_center": support_center, "since": iso(since), "until": iso(until)}
        )
        body = await info.context.tickets.get(
            "/v1/oncall-shifts", params={**params, **page.params()}
        )
        return connection(body, page, OnCallShift.from_rest)

    @strawberry.field(
        description="The vendor's side: who is on call for a center (now if no `at`)."
    )
    async def on_call_now(
        self,
        info: Info,
        support_center: Center,
        at: Annotated[
            datetime | None, strawberry.argument(description="The moment; now if null.")
        ] = None,
    ) -> OnCallNow:
        params = present({"support_center": support_center, "at": iso(at)})
        row = await info.context.tickets.get("/v1/oncall-shifts/on-call", params=params)
        return OnCallNow(
            support_center=row["support_center"],
            at=datetime.fromisoformat(row["at"]),
            timezone=row.get("timezone"),
            staff=list(row["staff"]),
            shifts=[OnCallShift.from_rest(s) for s in row["shifts"]],
        )


@strawberry.type
class VisitsMutation:
    @strawberry.mutation(
        description=(
            "Books a visit: CONFIRMED when staff book it, REQUESTED when a customer asks. "
            "VISIT_TOO_SOON under 48 hours ahead; VISIT_NOT_IN_PLAN where the plan lacks it."
        )
    )
    async def schedule_visit(
        self,
        info: Info,
        input: Annotated[ScheduleVisitInput, strawberry.argument(description="The visit.")],
    ) -> Visit:
        return Visit.from_rest(await info.context.tickets.post("/v1/visits", json=input.to_rest()))

    @strawberry.mutation(description="Staff confirm a requested visit, still 48 hours ahead.")
    async def confirm_visit(self, info: Info, visit_id: VisitId) -> Visit:
        return Visit.from_rest(await info.context.tickets.post(f"{_visit_path(visit_id)}/confirm"))

    @strawberry.mutation(description="Cancels a visit that has not started.")
    async def cancel_visit(self, info: Info, visit_id: VisitId, reason: Reason) -> Visit:
        row = await info.context.tickets.post(
            f"{_visit_path(visit_id)}/cancel", json={"reason": reason}
        )
        return Visit.from_rest(row)

    @strawberry.mutation(
        description=(
            "Declares a case an emergency: the center's on-call staff are alerted by mail and "
            "chat at once; billed where the plan says so. EMERGENCY_NOT_IN_PLAN otherwise."
        )
    )
    async def declare_emergency(self, info: Info, ticket_id: TicketId, reason: Reason) -> Emergency:
        path = f"/v1/tickets/{uuid_arg(ticket_id, 'ticketId')}/emergency"
        return Emergency.from_rest(await info.context.tickets.post(path, json={"reason": reason}))

    @strawberry.mutation(description="Managers and admins: puts someone on call.")
    async def create_on_call_shift(
        self,
        info: Info,
        input: Annotated[OnCallShiftInput, strawberry.argument(description="The shift.")],
    ) -> OnCallShift:
        row = await info.context.tickets.post("/v1/oncall-shifts", json=input.to_rest())
        return OnCallShift.from_rest(row)

    @strawberry.mutation(description="Managers and admins: changes a shift.")
    async def update_on_call_shift(
        self,
        info: Info,
        shift_id: ShiftId,
        input: Annotated[OnCallShiftChange, strawberry.argument(description="The changes.")],
    ) -> OnCallShift:
        row = await info.context.tickets.request(
            "PATCH", _shift_path(shift_id), json=input.to_rest()
        )
        return OnCallShift.from_rest(row)

    @strawberry.mutation(description="Managers and admins: removes a shift; answers its id.")
    async def delete_on_call_shift(self, info: Info, shift_id: ShiftId) -> strawberry.ID:
        path = _shift_path(shift_id)
        await info.context.tickets.request("DELETE", path)
        return strawberry.ID(path.rsplit("/", 1)[-1])


__all__ = ["VisitsMutation", "VisitsQuery"]
