"""Escalations, the escalation path and priority change requests (seeds 000, 001, 002).
``escalateTicket`` (in :mod:`.mutations`) opens either kind of escalation; these end them,
hand a case to a team, record contact attempts and carry change requests. Refusals come
back with tickets' own codes (ESCALATION_REASON_REQUIRED, ESCALATION_OPEN,
NOT_ESCALATION_OWNER, MOTIVATION_REQUIRED, CHANGE_REQUEST_PENDING, ...)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from careplane_gateway.graphql.arguments import uuid_arg
from careplane_gateway.graphql.context import Info
from careplane_gateway.graphql.tickets.escalation_types import (
    ChangeDecision,
    ChangeRequest,
    ContactAttempt,
    ContactChannel,
    ContactOutcome,
)
from careplane_gateway.graphql.tickets.mutations import TicketId, _ticket_action
from careplane_gateway.graphql.tickets.types import Ticket


async def _case_post(info: Info, ticket_id: strawberry.ID, action: str, body: object) -> object:
    key = uuid_arg(ticket_id, "ticketId")
    row = await info.context.tickets.post(f"/v1/tickets/{key}/{action}", json=body)
    info.context.loaders.tickets.forget(key)
    return row


@strawberry.type
class EscalationMutation:
    @strawberry.mutation(
        description=(
            "Staff hand the case to another team (the team and reason stay with staff; the "
            "customer sees only that the case is ESCALATED)."
        )
    )
    async def escalate_to_team(
        self,
        info: Info,
        ticket_id: TicketId,
        team: Annotated[str, strawberry.argument(description="The team, e.g. Hydraulics.")],
        reason: Annotated[str, strawberry.argument(description="Why (staff only).")],
    ) -> Ticket:
        body = {"kind": "INTERNAL", "team": team, "reason": reason}
        return await _ticket_action(info, ticket_id, "escalations", body)

    @strawberry.mutation(
        description="The team is done: the case goes back to the status it had (staff)."
    )
    async def return_from_team(
        self,
        info: Info,
        ticket_id: TicketId,
        note: Annotated[
            str | None, strawberry.argument(description="What the team did (staff only).")
        ] = None,
    ) -> Ticket:
        return await _ticket_action(info, ticket_id, "escalations/return", {"note": note})

    @strawberry.mutation(
        description=(
            "The Client Services Manager who owns the customer's escalation (or a manager) "
            "resolves it; the customer is told."
        )
    )
    async def resolve_escalation(
        self,
        info: Info,
        ticket_id: TicketId,
        resolution: Annotated[str, strawberry.argument(description="What was done.")],
    ) -> Ticket:
        body = {"resolution": resolution}
        return await _ticket_action(info, ticket_id, "escalations/resolve", body)

    @strawberry.mutation(
        description=(
            "Staff record an attempt to reach the customer on the escalation path email → "
            "phone → web conference (a later step first is allowed and shown as skipped ahead)."
        )
    )
    async def record_contact_attempt(
        self,
        info: Info,
        ticket_id: TicketId,
        channel: Annotated[ContactChannel, strawberry.argument(description="How.")],
        outcome: Annotated[ContactOutcome, strawberry.argument(description="What came of it.")],
        note: Annotated[str | None, strawberry.argument(description="Staff only.")] = None,
    ) -> ContactAttempt:
        body = {"channel": channel.value, "outcome": outcome.value, "note": note}
        row = await _case_post(info, ticket_id, "contact-attempts", body)
        assert isinstance(row, dict)
        return ContactAttempt.from_rest(row)

    @strawberry.mutation(
        description=(
            "The customer asks for another priority (Category I / II / III on the Invantive "
            "plan) and says why; staff decide."
        )
    )
    async def request_priority_change(
        self,
        info: Info,
        ticket_id: TicketId,
        priority: Annotated[str, strawberry.argument(description="One of the plan's.")],
        motivation: Annotated[str, strawberry.argument(description="Why (required).")],
    ) -> ChangeRequest:
        body = {"priority": priority, "motivation": motivation}
        row = await _case_post(info, ticket_id, "change-requests", body)
        assert isinstance(row, dict)
        return ChangeRequest.from_rest(row)

    @strawberry.mutation(
        description=(
            "Staff accept (the priority changes and the SLA clocks are recalculated from their "
            "original starts) or refuse the waiting change request; the customer sees the "
            "reason either way."
        )
    )
    async def decide_priority_change(
        self,
        info: Info,
        ticket_id: TicketId,
        decision: Annotated[ChangeDecision, strawberry.argument(description="The answer.")],
        reason: Annotated[str, strawberry.argument(description="Why (the customer sees it).")],
    ) -> ChangeRequest:
        body = {"decision": decision.value, "reason": reason}
        row = await _case_post(info, ticket_id, "change-requests/decision", body)
        assert isinstance(row, dict)
        return ChangeRequest.from_rest(row)
