"""With Development as GraphQL: a defect handed to development with its tracker reference,
and the fix development reports (staff, or the tracker's integration key with
`development:write`). Tickets judges every call; a refusal is an error with its code
(ALREADY_WITH_DEVELOPMENT, NOT_WITH_DEVELOPMENT, DEVELOPMENT_LINK_NOT_FOUND, ROLE_FORBIDDEN,
TICKET_CLOSED, ENTITLEMENT_PENDING)."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from careplane_gateway.graphql.arguments import uuid_arg
from careplane_gateway.graphql.context import Info
from careplane_gateway.graphql.tickets.development_types import DevelopmentLink
from careplane_gateway.graphql.tickets.types import Ticket

TicketId = Annotated[strawberry.ID, strawberry.argument(description="The case's `id`.")]


@strawberry.type(description="A case's development link and the case as it is now.")
class DevelopmentChange:
    development: DevelopmentLink = strawberry.field(description="The tracker reference.")
    ticket: Ticket = strawberry.field(description="The case.")


async def _change(
    info: Info, ticket_id: strawberry.ID, action: str, body: Any
) -> DevelopmentChange:
    key = uuid_arg(ticket_id, "ticketId")
    row = await info.context.tickets.post(f"/v1/tickets/{key}/development{action}", json=body)
    info.context.loaders.tickets.fresh(row["ticket"])
    return DevelopmentChange(
        development=DevelopmentLink.from_rest(row["development"]),
        ticket=Ticket.from_rest(row["ticket"]),
    )


@strawberry.type
class DevelopmentQuery:
    @strawberry.field(
        description=(
            "A case's development tracker reference (DEVELOPMENT_LINK_NOT_FOUND when it was "
            "never handed to development; TICKET_NOT_FOUND as for `ticketById`)."
        )
    )
    async def ticket_development(self, info: Info, ticket_id: TicketId) -> DevelopmentLink | None:
        key = uuid_arg(ticket_id, "ticketId")
        return DevelopmentLink.from_rest(
            await info.context.tickets.get(f"/v1/tickets/{key}/development")
        )


@strawberry.type
class DevelopmentMutation:
    @strawberry.mutation(
        description=(
            "Staff hand a defect to development with the tracker's issue key and address: the "
            "case becomes WITH_DEVELOPMENT and the customer is told."
        )
    )
    async def hand_to_development(
        self,
        info: Info,
        ticket_id: TicketId,
        issue_key: Annotated[str, strawberry.argument(description="e.g. TW-4711.")],
        issue_url: Annotated[str, strawberry.argument(description="The issue's address.")],
        reason: Annotated[
            str | None, strawberry.argument(description="Why; recorded in the case's history.")
        ] = None,
    ) -> DevelopmentChange:
        body = {"issue_key": issue_key, "issue_url": issue_url, "reason": reason}
        return await _change(info, ticket_id, "", body)

    @strawberry.mutation(
        description=(
            "Development reports the fix and its version (staff, or the tracker's integration "
            "key with `development:write`): the customer is told by mail and the case moves to "
            "PENDING, waiting for the customer to confirm the fix."
        )
    )
    async def report_development_fix(
        self,
        info: Info,
        ticket_id: TicketId,
        version: Annotated[str, strawberry.argument(description="The version with the fix.")],
        note: Annotated[
            str | None, strawberry.argument(description="Shown to the customer with the fix.")
        ] = None,
    ) -> DevelopmentChange:
        return await _change(info, ticket_id, "/fix", {"version": version, "note": note})
