"""Billable items: what a customer pays for beyond its agreement."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from careplane_gateway.graphql.context import Info
from careplane_gateway.graphql.contracts.cases import LinkedTicket, linked_ticket
from careplane_gateway.graphql.contracts.enums import BillableKind
from careplane_gateway.graphql.contracts.types import Customer
from careplane_gateway.graphql.convert import Row, optional_id, to_id


@strawberry.type(description="Something a customer pays for beyond its agreement.")
class BillableItem:
    id: strawberry.ID = strawberry.field(description="The billable item's ID.")
    customer_id: strawberry.ID = strawberry.field(description="The customer to invoice.")
    agreement_id: strawberry.ID | None = strawberry.field(
        description="The agreement it falls under; null when none."
    )
    kind: BillableKind = strawberry.field(description="What was delivered.")
    quantity: Decimal = strawberry.field(
        description="In `unit`s; other support in hours, per started half hour."
    )
    unit: str = strawberry.field(description="ticket, request, call, visit, hour or upgrade.")
    minutes_worked: int | None = strawberry.field(
        description="Minutes of work booked; null when not counted in time."
    )
    ticket_id: strawberry.ID | None = strawberry.field(
        description="The case it came from; null when none."
    )
    description: str | None = strawberry.field(description="Free text for the invoice.")
    occurred_at: datetime = strawberry.field(description="When the work was done.")

    @classmethod
    def from_rest(cls, row: Row) -> BillableItem:
        return cls(
            id=to_id(row["id"]),
            customer_id=to_id(row["customer_id"]),
            agreement_id=optional_id(row.get("agreement_id")),
            kind=BillableKind(row["kind"]),
            quantity=Decimal(str(row["quantity"])),
            unit=row["unit"],
            minutes_worked=row.get("minutes_worked"),
            ticket_id=optional_id(row.get("ticket_id")),
            description=row.get("description"),
            occurred_at=datetime.fromisoformat(row["occurred_at"]),
        )

    @strawberry.field(description="The case billed; null when none or the caller may not see it.")
    async def ticket(self, info: Info) -> LinkedTicket | None:
        return await linked_ticket(info, self.ticket_id)

    @strawberry.field(description="The customer to invoice.")
    async def customer(self, info: Info) -> Customer:
        return await Customer.load(info, self.customer_id)
