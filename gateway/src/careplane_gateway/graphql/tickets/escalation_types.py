"""A case's escalations (both meanings, seed 000), the contact attempts of its escalation
path (seed 001) and its priority change requests (seed 002), as the case type shows them.
Each is read from the tickets service when asked for; a customer's caller gets its own
escalations only and no staff notes, as tickets answers it."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from careplane_gateway.graphql.context import Info
from careplane_gateway.graphql.contracts.cases import LinkedTicket, linked_ticket
from careplane_gateway.graphql.convert import Row, optional_datetime, optional_id, to_id
from careplane_gateway.graphql.tickets.enums import EscalationKind


@strawberry.enum(description="The escalation path, in its order: email, phone, web conference.")
class ContactChannel(Enum):
    EMAIL = strawberry.enum_value("EMAIL", description="Step 1: an email.")
    PHONE = strawberry.enum_value("PHONE", description="Step 2: a phone call.")
    WEB_CONFERENCE = strawberry.enum_value(
        "WEB_CONFERENCE", description="Step 3: a web conference."
    )


@strawberry.enum(description="What came of an attempt to reach the customer.")
class ContactOutcome(Enum):
    REACHED = strawberry.enum_value("REACHED", description="The customer was reached.")
    NO_ANSWER = strawberry.enum_value("NO_ANSWER", description="Nobody answered.")
    LEFT_MESSAGE = strawberry.enum_value("LEFT_MESSAGE", description="A message was left.")
    BOUNCED = strawberry.enum_value("BOUNCED", description="The mail could not be delivered.")
    DECLINED = strawberry.enum_value("DECLINED", description="The customer declined.")
    SCHEDULED = strawberry.enum_value("SCHEDULED", description="A later contact was agreed.")


@strawberry.enum(description="Where a change request stands.")
class ChangeRequestStatus(Enum):
    PENDING = strawberry.enum_value("PENDING", description="Waiting for staff.")
    ACCEPTED = strawberry.enum_value(
        "ACCEPTED", description="Accepted: the priority changed, the SLA was recalculated."
    )
    REFUSED = strawberry.enum_value("REFUSED", description="Refused, with the reason.")


@strawberry.enum(description="Staff's answer to a change request.")
class ChangeDecision(Enum):
    ACCEPTED = strawberry.enum_value("ACCEPTED", description="Change the priority.")
    REFUSED = strawberry.enum_value("REFUSED", description="Keep the priority.")


@strawberry.type(description="The staff account that owns a customer's escalation.")
class EscalationOwner:
    id: strawberry.ID | None = strawberry.field(description="The staff account's ID.")
    email: str | None = strawberry.field(description="Its email address.")
    name: str | None = strawberry.field(description="Its name.")


@strawberry.type(
    description=(
        "CUSTOMER: the region's Client Services Manager owns the follow-up until it is "
        "resolved. INTERNAL (staff only, never shown to the customer): another team has the "
        "case until it returns it."
    )
)
class Escalation:
    id: strawberry.ID = strawberry.field(description="The escalation's ID.")
    kind: EscalationKind = strawberry.field(description="CUSTOMER or INTERNAL.")
    reason: str = strawberry.field(description="Why the case was escalated.")
    team: str | None = strawberry.field(description="INTERNAL: the team that has the case.")
    owner: EscalationOwner | None = strawberry.field(
        description="CUSTOMER: the Client Services Manager (null when none was named)."
    )
    previous_status: str = strawberry.field(description="Where the case goes back to.")
    opened_by: str = strawberry.field(description="Who escalated.")
    opened_at: datetime = strawberry.field(description="When.")
    open: bool = strawberry.field(description="Not resolved or returned yet.")
    resolved_by: str | None = strawberry.field(description="Who resolved or returned it.")
    resolved_at: datetime | None = strawberry.field(description="When.")
    resolution: str | None = strawberry.field(description="What was done.")

    @classmethod
    def from_rest(cls, row: Row) -> Escalation:
        owner = row.get("owner")
        return cls(
            id=to_id(row["id"]),
            kind=EscalationKind(row["kind"]),
            reason=row["reason"],
            team=row.get("team"),
            owner=None
            if owner is None
            else EscalationOwner(
                id=optional_id(owner.get("id")), email=owner.get("email"), name=owner.get("name")
            ),
            previous_status=row["previous_status"],
            opened_by=row["opened_by"],
            opened_at=datetime.fromisoformat(row["opened_at"]),
            open=bool(row["open"]),
            resolved_by=row.get("resolved_by"),
            resolved_at=optional_datetime(row.get("resolved_at")),
            resolution=row.get("resolution"),
        )


@strawberry.type(description="One attempt to reach the customer on the escalation path.")
class ContactAttempt:
    id: strawberry.ID = strawberry.field(description="The attempt's ID.")
    escalation_id: strawberry.ID | None = strawberry.field(
        description="The customer's escalation it was made for, if one was open."
    )
    channel: ContactChannel = strawberry.field(description="How.")
    step: int = strawberry.field(description="1 email, 2 phone, 3 web conference.")
    skipped_ahead: bool = strawberry.field(
        description="An earlier step of the path had not been tried."
    )
    outcome: ContactOutcome = strawberry.field(description="What came of it.")
    note: str | None = strawberry.field(description="Staff only: null for the customer.")
    by: str = strawberry.field(description="Who tried.")
    at: datetime = strawberry.field(description="When.")

    @classmethod
    def from_rest(cls, row: Row) -> ContactAttempt:
        return cls(
            id=to_id(row["id"]),
            escalation_id=optional_id(row.get("escalation_id")),
            channel=ContactChannel(row["channel"]),
            step=int(row["step"]),
            skipped_ahead=bool(row["skipped_ahead"]),
            outcome=ContactOutcome(row["outcome"]),
            note=row.get("note"),
            by=row["by"],
            at=datetime.fromisoformat(row["at"]),
        )


@strawberry.type(description="The escalation path of a case and how far it went.")
class ContactPath:
    path: list[ContactChannel] = strawberry.field(description="The steps, in their order.")
    next_step: ContactChannel | None = strawberry.field(
        description="The first step not tried yet (null once every step was tried)."
    )
    total_count: int = strawberry.field(description="How many attempts the case has.")
    attempts: list[ContactAttempt] = strawberry.field(
        description="The attempts, oldest first (at most 200)."
    )

    @classmethod
    def from_rest(cls, page: Row) -> ContactPath:
        step = page.get("next_step")
        return cls(
            path=[ContactChannel(c) for c in page["path"]],
            next_step=None if step is None else ContactChannel(step),
            total_count=int(page["total"]),
            attempts=[ContactAttempt.from_rest(r) for r in page["items"]],
        )


@strawberry.type(description="A customer's request for another priority (or category).")
class ChangeRequest:
    id: strawberry.ID = strawberry.field(description="The request's ID.")
    ticket_id: strawberry.ID = strawberry.field(description="The case.")
    from_priority: str | None = strawberry.field(description="The priority when asked.")
    to_priority: str = strawberry.field(description="The priority asked for.")
    motivation: str = strawberry.field(description="Why, in the customer's words.")
    status: ChangeRequestStatus = strawberry.field(description="Where it stands.")
    requested_by: str = strawberry.field(description="Who asked.")
    requested_at: datetime = strawberry.field(description="When.")
    decided_by: str | None = strawberry.field(description="Who decided.")
    decided_at: datetime | None = strawberry.field(description="When.")
    decision_reason: str | None = strawberry.field(
        description="Why it was accepted or refused (the customer sees it)."
    )

    @classmethod
    def from_rest(cls, row: Row) -> ChangeRequest:
        return cls(
            id=to_id(row["id"]),
            ticket_id=to_id(row["ticket_id"]),
            from_priority=row.get("from_priority"),
            to_priority=row["to_priority"],
            motivation=row["motivation"],
            status=ChangeRequestStatus(row["status"]),
            requested_by=row["requested_by"],
            requested_at=datetime.fromisoformat(row["requested_at"]),
            decided_by=row.get("decided_by"),
            decided_at=optional_datetime(row.get("decided_at")),
            decision_reason=row.get("decision_reason"),
        )

    @strawberry.field(
        description="The case, as it is now (an accepted request: its clocks recalculated)."
    )
    async def ticket(self, info: Info) -> LinkedTicket | None:
        return await linked_ticket(info, self.ticket_id)


async def escalations_of(info: Info, ticket_id: object) -> list[Escalation]:
    rows = await info.context.tickets.get(f"/v1/tickets/{ticket_id}/escalations")
    return [Escalation.from_rest(r) for r in rows]


async def contact_path_of(info: Info, ticket_id: object) -> ContactPath:
    page = await info.context.tickets.get(
        f"/v1/tickets/{ticket_id}/contact-attempts", params={"limit": 200}
    )
    return ContactPath.from_rest(page)


async def change_requests_of(info: Info, ticket_id: object) -> list[ChangeRequest]:
    rows = await info.context.tickets.get(f"/v1/tickets/{ticket_id}/change-requests")
    return [ChangeRequest.from_rest(r) for r in rows]
