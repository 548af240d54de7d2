"""An agreement year's ticket quota: the summary derived from the ledger, and the ledger's
entries."""

from __future__ import annotations

from datetime import datetime

import strawberry

from careplane_gateway.graphql.context import Info
from careplane_gateway.graphql.contracts.cases import LinkedTicket, linked_ticket
from careplane_gateway.graphql.contracts.enums import QuotaEntryKind, WhenExhausted
from careplane_gateway.graphql.convert import Row, optional_id, to_id


@strawberry.type(description="An agreement year's ticket quota, derived from the ledger.")
class QuotaSummary:
    agreement_id: strawberry.ID = strawberry.field(description="The agreement.")
    yearly: int | None = strawberry.field(description="Tickets granted per year by the plan.")
    granted: int = strawberry.field(description="Grant, rollover in and purchases.")
    consumed: int = strawberry.field(description="Consumed, net of reversals.")
    remaining: int = strawberry.field(description="Tickets left this year.")
    when_exhausted: WhenExhausted = strawberry.field(
        description="What happens to a case once the quota is used up."
    )
    rollover: bool = strawberry.field(description="Unused tickets move to the next year.")

    @classmethod
    def from_rest(cls, row: Row) -> QuotaSummary:
        return cls(
            agreement_id=to_id(row["agreement_id"]),
            yearly=row.get("yearly"),
            granted=int(row["granted"]),
            consumed=int(row["consumed"]),
            remaining=int(row["remaining"]),
            when_exhausted=WhenExhausted(row["when_exhausted"]),
            rollover=bool(row["rollover"]),
        )


@strawberry.type(description="One entry of the append-only quota ledger.")
class QuotaEntry:
    id: strawberry.ID = strawberry.field(description="The ledger entry's ID.")
    kind: QuotaEntryKind = strawberry.field(description="What the entry records.")
    amount: int = strawberry.field(description="Tickets added (positive) or taken (negative).")
    ticket_id: strawberry.ID | None = strawberry.field(
        description="The case it is for; null when none."
    )
    note: str | None = strawberry.field(description="A note; null when none.")
    created_by: str | None = strawberry.field(description="Who booked it; null for the system.")
    created_at: datetime = strawberry.field(description="When it was booked.")

    @classmethod
    def from_rest(cls, row: Row) -> QuotaEntry:
        return cls(
            id=to_id(row["id"]),
            kind=QuotaEntryKind(row["kind"]),
            amount=int(row["amount"]),
            ticket_id=optional_id(row.get("ticket_id")),
            note=row.get("note"),
            created_by=row.get("created_by"),
            created_at=datetime.fromisoformat(row["created_at"]),
        )

    @strawberry.field(
        description="The case this entry is for; null when none or the caller may not see it."
    )
    async def ticket(self, info: Info) -> LinkedTicket | None:
        return await linked_ticket(info, self.ticket_id)
