"""The tickets domain's root query fields."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry

from careplane_gateway.graphql.arguments import optional_uuid_arg, path_segment, present, uuid_arg
from careplane_gateway.graphql.context import Info
from careplane_gateway.graphql.pagination import (
    After,
    Connection,
    First,
    PageRequest,
    connection,
    node_fields,
)
from careplane_gateway.graphql.tickets.inputs import SlaSimulationInput, TicketFilter
from careplane_gateway.graphql.tickets.sla import SlaClock, SlaReport
from careplane_gateway.graphql.tickets.types import FULL_VIEW_FIELDS, Ticket


async def _page(
    info: Info, path: str, filter: TicketFilter | None, first: int | None, after: str | None
) -> Connection[Ticket]:
    """A page of cases. When the query asks of them a field only the whole case has (its
    clocks, its plan, its description, ...), the list answers whole cases
    (``include=sla``), so no case needs a call of its own; otherwise its summary rows."""
    page = PageRequest.of(first, after)
    params: dict[str, Any] = {**(filter.to_params() if filter else {}), **page.params()}
    if node_fields(info) & FULL_VIEW_FIELDS:
        params["include"] = "sla"
    body = await info.context.tickets.get(path, params=params)
    return connection(body, page, Ticket.from_rest)


@strawberry.type
class TicketsQuery:
    @strawberry.field(
        description=(
            "A case by its number, e.g. CS-2026-000123. Another customer's case is "
            "TICKET_NOT_FOUND, exactly as one that does not exist."
        )
    )
    async def ticket(
        self,
        info: Info,
        number: Annotated[
            str, strawberry.argument(description="The case number, e.g. CS-2026-000123.")
        ],
    ) -> Ticket | None:
        row = await info.context.tickets.get(
            f"/v1/tickets/by-number/{path_segment(number, 'number')}"
        )
        info.context.loaders.tickets.fresh(row)
        return Ticket.from_rest(row)

    @strawberry.field(description="A case by its id (TICKET_NOT_FOUND as for `ticket`).")
    async def ticket_by_id(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The case's ID.")],
    ) -> Ticket | None:
        return await Ticket.load(info, uuid_arg(id, "id"))

    @strawberry.field(
        description=(
            "Cases, newest first (by receivedAt). A customer's callers see their own "
            "customer's cases only."
        )
    )
    async def tickets(
        self,
        info: Info,
        filter: Annotated[
            TicketFilter | None,
            strawberry.argument(description="Which cases; all the caller may see when null."),
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Ticket]:
        return await _page(info, "/v1/tickets", filter, first, after)

    @strawberry.field(
        description=(
            "Staff: the cases not yet closed, most severe priority first, then by least time "
            "left before a breach. `filter` narrows it by language, product, support center, "
            "assignee, ..."
        )
    )
    async def triage_queue(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        filter: Annotated[
            TicketFilter | None,
            strawberry.argument(description="Which cases; the whole queue when null."),
        ] = None,
    ) -> Connection[Ticket]:
        return await _page(info, "/v1/triage", filter, first, after)

    @strawberry.field(
        description=(
            "Staff: the SLA engine as a pure function, the same engine as live tickets. "
            "Business time is counted in whole service minutes; a clock that starts outside "
            "service hours starts at the next service minute; a clock that restarts "
            "(NEXT_RESPONSE) appears once per cycle, oldest first."
        )
    )
    async def sla_simulate(
        self,
        info: Info,
        input: Annotated[
            SlaSimulationInput,
            strawberry.argument(description="The plan, priority, arrival and events to simulate."),
        ],
    ) -> list[SlaClock]:
        rows = await info.context.tickets.post("/v1/sla/simulate", json=input.to_rest())
        return [SlaClock.from_rest(row) for row in rows]

    @strawberry.field(
        description=(
            "Staff, or a customer administrator for its own customer: SLA attainment of the "
            "cases received in [from, to), as the share within target and the average time "
            "against the average commitment, overall and per plan."
        )
    )
    async def sla_report(
        self,
        info: Info,
        from_: Annotated[
            datetime,
            strawberry.argument(
                name="from", description="Start of the period: cases received at or after it."
            ),
        ],
        to: Annotated[
            datetime,
            strawberry.argument(description="End of the period: cases received before it."),
        ],
        plan_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only cases under this plan.")
        ] = None,
        customer_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this customer's cases.")
        ] = None,
    ) -> SlaReport:
        params = present(
            {
                "from": from_.isoformat(),
                "to": to.isoformat(),
                "plan_id": optional_uuid_arg(plan_id, "planId"),
                "customer_id": optional_uuid_arg(customer_id, "customerId"),
            }
        )
        row = await info.context.tickets.get("/v1/sla/report", params=params)
        return SlaReport.from_rest(row)
