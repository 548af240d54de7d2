"""Ideas and feature requests as GraphQL: the ideas contacts see and vote for (one vote
per contact), and what staff do with them (route a feature-request case to sales or
development, plan and ship an idea). Tickets judges every call itself; a refusal is an
error with tickets' code (ALREADY_VOTED, VOTE_FORBIDDEN, IDEA_SHIPPED, IDEA_NOT_FOUND,
FEATURE_REQUEST_ROUTED, NOT_A_FEATURE_REQUEST, FEATURE_ROUTE_INVALID, ROLE_FORBIDDEN)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry

from careplane_gateway.graphql.arguments import optional_uuid_arg, present, uuid_arg
from careplane_gateway.graphql.context import Info
from careplane_gateway.graphql.convert import Row, optional_datetime, optional_id, to_id
from careplane_gateway.graphql.pagination import After, Connection, First, PageRequest, connection
from careplane_gateway.graphql.tickets.types import Ticket

IdeaId = Annotated[strawberry.ID, strawberry.argument(description="The idea's `id`.")]
Version = Annotated[
    str, strawberry.argument(description="The product version, e.g. 3.3 (no spaces).")
]


@strawberry.enum(description="Where an idea is: recorded, planned for a version, or shipped.")
class IdeaStatus(Enum):
    OPEN = strawberry.enum_value("OPEN", description="Recorded for development.")
    PLANNED = strawberry.enum_value("PLANNED", description="Planned, maybe for a version.")
    SHIPPED = strawberry.enum_value("SHIPPED", description="Shipped in a version.")


@strawberry.enum(
    description=(
        "SALES: a customization the customer would pay for, for a price proposal. "
        "DEVELOPMENT: a suggestion for every user; it becomes an idea and the case closes."
    )
)
class FeatureRoute(Enum):
    SALES = strawberry.enum_value("sales", description="To sales, for a price proposal.")
    DEVELOPMENT = strawberry.enum_value(
        "development", description="To development, as an idea; the case closes."
    )


@strawberry.type(description="A suggestion for every user, kept for development.")
class Idea:
    id: strawberry.ID = strawberry.field(description="The idea's ID.")
    title: str = strawberry.field(description="What it is, in a line.")
    description: str = strawberry.field(description="What it is, in full.")
    product_id: strawberry.ID | None = strawberry.field(description="The product it is for.")
    status: IdeaStatus = strawberry.field(description="Open, planned or shipped.")
    public: bool = strawberry.field(
        description="Shown to every customer's contacts (else to staff only)."
    )
    planned_version: str | None = strawberry.field(description="The version it is planned for.")
    shipped_version: str | None = strawberry.field(description="The version it shipped in.")
    shipped_at: datetime | None = strawberry.field(description="When it was marked shipped.")
    created_at: datetime = strawberry.field(description="When it was recorded.")
    votes: int = strawberry.field(description="How many contacts voted for it.")
    asked: int = strawberry.field(description="How many cases asked for it.")
    voted: bool = strawberry.field(description="Whether the calling contact voted for it.")

    @classmethod
    def from_rest(cls, row: Row) -> Idea:
        return cls(
            id=to_id(row["id"]),
            title=row["title"],
            description=row["description"],
            product_id=optional_id(row.get("product_id")),
            status=IdeaStatus(row["status"]),
            public=bool(row["public"]),
            planned_version=row.get("planned_version"),
            shipped_version=row.get("shipped_version"),
            shipped_at=optional_datetime(row.get("shipped_at")),
            created_at=datetime.fromisoformat(row["created_at"]),
            votes=int(row["votes"]),
            asked=int(row["asked"]),
            voted=bool(row["voted"]),
        )


@strawberry.input(description="A new idea, worded for every customer's contacts to read.")
class NewIdeaInput:
    title: str = strawberry.field(description="What it is, in a line.")
    description: str = strawberry.field(description="What it is, in full.")
    product_id: strawberry.ID | None = strawberry.field(
        default=None, description="The product it is for (a routed case's own when null)."
    )
    public: bool = strawberry.field(
        default=True, description="Shown to every customer's contacts (else staff only)."
    )

    def to_rest(self) -> dict[str, object]:
        return {
            "title": self.title,
            "description": self.description,
            "product_id": optional_uuid_arg(self.product_id, "productId"),
            "public": self.public,
        }


@strawberry.type(description="Where a feature-request case went, and what became of it.")
class FeatureRouting:
    route: FeatureRoute = strawberry.field(description="Sales or development.")
    note: str | None = strawberry.field(description="Staff's note on the decision.")
    routed_by: str = strawberry.field(description="Who decided.")
    routed_at: datetime = strawberry.field(description="When.")
    idea: Idea | None = strawberry.field(description="The idea the case joined (development).")
    ticket: Ticket = strawberry.field(description="The case as it is now.")

    @classmethod
    def from_rest(cls, row: Row) -> FeatureRouting:
        return cls(
            route=FeatureRoute(row["route"]),
            note=row.get("note"),
            routed_by=row["routed_by"],
            routed_at=datetime.fromisoformat(row["routed_at"]),
            idea=Idea.from_rest(row["idea"]) if row.get("idea") else None,
            ticket=Ticket.from_rest(row["ticket"]),
        )


def _idea_path(idea_id: strawberry.ID, argument: str = "id") -> str:
    return f"/v1/ideas/{uuid_arg(idea_id, argument)}"


@strawberry.type
class IdeasQuery:
    @strawberry.field(
        description=(
            "Ideas, most voted first. A customer's callers see the public ones; `voted` says "
            "whether the calling contact voted for each."
        )
    )
    async def ideas(
        self,
        info: Info,
        status: Annotated[
            list[IdeaStatus] | None, strawberry.argument(description="Any of these statuses.")
        ] = None,
        product_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Ideas for this product.")
        ] = None,
        search: Annotated[
            str | None, strawberry.argument(description="Words in the title or description.")
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Idea]:
        page = PageRequest.of(first, after)
        params = present(
            {
                "status": [s.value for s in status] if status else None,
                "product_id": optional_uuid_arg(product_id, "productId"),
                "search": search,
                **page.params(),
            }
        )
        body = await info.context.tickets.get("/v1/ideas", params=params)
        return connection(body, page, Idea.from_rest)

    @strawberry.field(description="One idea (IDEA_NOT_FOUND for one the caller may not see).")
    async def idea(self, info: Info, id: IdeaId) -> Idea | None:
        return Idea.from_rest(await info.context.tickets.get(_idea_path(id)))


@strawberry.type
class IdeasMutation:
    @strawberry.mutation(description="Staff record an idea.")
    async def create_idea(
        self,
        info: Info,
        input: Annotated[NewIdeaInput, strawberry.argument(description="The idea.")],
    ) -> Idea:
        return Idea.from_rest(await info.context.tickets.post("/v1/ideas", json=input.to_rest()))

    @strawberry.mutation(
        description=(
            "A contact votes for an idea, once: a second vote is ALREADY_VOTED, a shipped idea "
            "IDEA_SHIPPED; only a customer's contacts vote (VOTE_FORBIDDEN)."
        )
    )
    async def vote_idea(self, info: Info, id: IdeaId) -> Idea:
        return Idea.from_rest(await info.context.tickets.post(f"{_idea_path(id)}/votes"))

    @strawberry.mutation(
        description="A contact takes its vote back (VOTE_NOT_FOUND when it had not voted)."
    )
    async def unvote_idea(self, info: Info, id: IdeaId) -> Idea:
        path = _idea_path(id)
        await info.context.tickets.request("DELETE", f"{path}/votes")
        return Idea.from_rest(await info.context.tickets.get(path))

    @strawberry.mutation(
        description="Staff plan an idea, maybe for a version (IDEA_SHIPPED, IDEA_UNCHANGED)."
    )
    async def mark_idea_planned(
        self,
        info: Info,
        id: IdeaId,
        version: Annotated[
            str | None, strawberry.argument(description="The version it is planned for.")
        ] = None,
    ) -> Idea:
        row = await info.context.tickets.post(f"{_idea_path(id)}/plan", json={"version": version})
        return Idea.from_rest(row)

    @strawberry.mutation(
        description=(
            "Staff mark an idea shipped in a version: everyone who asked for it or voted is "
            "told by mail, in their language (IDEA_SHIPPED when it shipped already)."
        )
    )
    async def mark_idea_shipped(self, info: Info, id: IdeaId, version: Version) -> Idea:
        row = await info.context.tickets.post(f"{_idea_path(id)}/ship", json={"version": version})
        return Idea.from_rest(row)

    @strawberry.mutation(
        description=(
            "Staff route a feature-request case: SALES (a paid customization; sales is asked "
            "for a price proposal, the case stays open) or DEVELOPMENT (a suggestion for every "
            "user: it joins `ideaId` or becomes the new `idea`, and the case closes). Once per "
            "case (FEATURE_REQUEST_ROUTED)."
        )
    )
    async def route_feature_request(
        self,
        info: Info,
        ticket_id: Annotated[strawberry.ID, strawberry.argument(description="The case's `id`.")],
        route: Annotated[FeatureRoute, strawberry.argument(description="Sales or development.")],
        note: Annotated[
            str | None, strawberry.argument(description="Why; kept with the decision.")
        ] = None,
        idea_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="DEVELOPMENT: the existing idea the case joins."),
        ] = None,
        idea: Annotated[
            NewIdeaInput | None,
            strawberry.argument(description="DEVELOPMENT: the new idea the case becomes."),
        ] = None,
    ) -> FeatureRouting:
        key = uuid_arg(ticket_id, "ticketId")
        body = present(
            {
                "route": route.value,
                "note": note,
                "idea_id": optional_uuid_arg(idea_id, "ideaId"),
                "idea": idea.to_rest() if idea else None,
            }
        )
        row = await info.context.tickets.post(f"/v1/tickets/{key}/feature-request", json=body)
        info.context.loaders.tickets.fresh(row["ticket"])
        return FeatureRouting.from_rest(row)
