"""The identity domain's root query fields."""

from __future__ import annotations

import strawberry

from careplane_gateway.graphql.context import Info
from careplane_gateway.graphql.identity.types import Viewer


@strawberry.type
class IdentityQuery:
    @strawberry.field(description="Who the bearer token belongs to (UNAUTHENTICATED without one).")
    async def me(self, info: Info) -> Viewer:
        return Viewer.from_rest(await info.context.loaders.contracts.by_path.load("/v1/me"))
