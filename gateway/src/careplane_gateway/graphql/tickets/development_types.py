"""A case's development tracker reference as GraphQL, apart from the mutations (which
return the case too) so that ``Ticket.development`` can use it without an import cycle."""

from __future__ import annotations

from datetime import datetime

import strawberry
from graphql import GraphQLError

from careplane_gateway.graphql.arguments import uuid_arg
from careplane_gateway.graphql.context import Info
from careplane_gateway.graphql.convert import Row, optional_datetime, to_id

DEVELOPMENT_LINK_NOT_FOUND = "DEVELOPMENT_LINK_NOT_FOUND"


@strawberry.type(description="A case's development tracker reference and the fix reported.")
class DevelopmentLink:
    ticket_id: strawberry.ID = strawberry.field(description="The case.")
    issue_key: str = strawberry.field(description="The tracker's issue key, e.g. TW-4711.")
    issue_url: str | None = strawberry.field(
        description="The tracker's address of the issue: staff only (null for customers)."
    )
    handed_at: datetime = strawberry.field(description="When the case went to development.")
    fixed_version: str | None = strawberry.field(description="The version carrying the fix.")
    fixed_at: datetime | None = strawberry.field(description="When the fix was reported.")
    fix_note: str | None = strawberry.field(description="Development's note on the fix.")

    @classmethod
    def from_rest(cls, row: Row) -> DevelopmentLink:
        return cls(
            ticket_id=to_id(row["ticket_id"]),
            issue_key=row["issue_key"],
            issue_url=row.get("issue_url"),
            handed_at=datetime.fromisoformat(row["handed_at"]),
            fixed_version=row.get("fixed_version"),
            fixed_at=optional_datetime(row.get("fixed_at")),
            fix_note=row.get("fix_note"),
        )


async def development_of(info: Info, ticket_id: object) -> DevelopmentLink | None:
    """The case's tracker reference; null when it was never handed to development."""
    try:
        row = await info.context.tickets.get(
            f"/v1/tickets/{uuid_arg(ticket_id, 'ticketId')}/development"
        )
    except GraphQLError as error:
        if (error.extensions or {}).get("code") == DEVELOPMENT_LINK_NOT_FOUND:
            return None
        raise
    return DevelopmentLink.from_rest(row)
