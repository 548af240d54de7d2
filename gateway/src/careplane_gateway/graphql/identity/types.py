"""The caller, as contracts (which issues the tokens) knows it."""

from __future__ import annotations

import strawberry

from careplane_gateway.graphql.convert import Row, optional_id, to_id


@strawberry.type(description="The signed-in caller.")
class Viewer:
    id: strawberry.ID = strawberry.field(
        description="The staff user's, the contact's or the API key's id."
    )
    email: str = strawberry.field(description="The email the caller is known by.")
    role: str = strawberry.field(
        description="ADMIN, MANAGER, AGENT, CUSTOMER_ADMIN, CONTACT or INTEGRATION."
    )
    customer_id: strawberry.ID | None = strawberry.field(
        description="The customer a contact or a customer's integration belongs to."
    )

    @classmethod
    def from_rest(cls, row: Row) -> Viewer:
        return cls(
            id=to_id(row["id"]),
            email=row["email"],
            role=row["role"],
            customer_id=optional_id(row.get("customer_id") or None),
        )
