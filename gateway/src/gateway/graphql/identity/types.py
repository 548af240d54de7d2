from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import strawberry


@strawberry.type(description="The signed-in caller.")
class Viewer:
    id: strawberry.ID = strawberry.field(
        description="The staff user's, the contact's or the API key's id."
    )
    email: str
    role: str = strawberry.field(
        description="ADMIN, MANAGER, AGENT, CUSTOMER_ADMIN, CONTACT or INTEGRATION."
    )
    customer_id: strawberry.ID | None = strawberry.field(
        description="The customer a contact or a customer's integration belongs to."
    )

    @classmethod
    def from_rest(cls, body: Mapping[str, Any]) -> Viewer:
        customer_id = body.get("customer_id")
        return cls(
            id=strawberry.ID(str(body["id"])),
            email=body["email"],
            role=body["role"],
            customer_id=strawberry.ID(str(customer_id)) if customer_id else None,
        )
