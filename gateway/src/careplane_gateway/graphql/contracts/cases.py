"""The case a contracts record points to: a quota entry's, a license key request's, a
billable item's.

Tickets' types import contracts' (a case has a customer, a product and a plan), so contracts
names ``Ticket`` lazily and never imports tickets' types: strawberry resolves the name when
it builds the schema, and ``linked_ticket`` when it turns the row it loaded into a case.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types.lazy_type import LazyType

from careplane_gateway.graphql.context import Info

if TYPE_CHECKING:
    from careplane_gateway.graphql.tickets.types import Ticket

TICKETS_TYPES = "careplane_gateway.graphql.tickets.types"

# The tickets domain's Ticket, as a field's type.
LinkedTicket = Annotated["Ticket", strawberry.lazy(TICKETS_TYPES)]

# The same reference, for building one: resolved on first use, long after both modules loaded.
_TICKET: LazyType[Any, Any] = LazyType("Ticket", TICKETS_TYPES)


async def linked_ticket(info: Info, ticket_id: object | None) -> Ticket | None:
    """Null when there is no case or the caller may not see it."""
    row = await info.context.loaders.tickets.linked_ticket_row(ticket_id)
    if row is None:
        return None
    ticket: Ticket = _TICKET.resolve_type().from_rest(row)
    return ticket
