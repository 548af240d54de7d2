"""Dependencies shared by contracts' routers."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query, Request

from careplane_shared.auth import (
    STAFF_ROLES,
    CurrentPrincipal,
    Principal,
    Role,
    require_roles,
)
from careplane_shared.events import Outbox
from contracts.exceptions import VendorSideOnly


def _outbox(request: Request) -> Outbox:
    outbox: Outbox = request.app.state.outbox
    return outbox


OutboxDep = Annotated[Outbox, Depends(_outbox)]

# Who may change the catalogue and customers' contracts: support management.
Manager = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.MANAGER))]
Staff = Annotated[Principal, Depends(require_roles(STAFF_ROLES))]


async def _vendor_side(principal: CurrentPrincipal) -> Principal:
    """Staff, the vendor's own integration keys (bound to no customer) and services.

    A key bound to a customer is that customer's administrator at most, never an
    integration in this sense: ``require_roles`` already sees it as CUSTOMER_ADMIN, and
    the kind is checked here as well so the rule does not hang on one mapping."""
    if principal.is_customer or principal.effective_role not in (
        *STAFF_ROLES,
        Role.INTEGRATION,
        Role.SERVICE,
    ):
        raise VendorSideOnly(role=principal.role.value, kind=principal.kind.value)
    return principal


# The vendor's side: staff, the vendor's own integrations (CRM sync) and services act on
# every customer; customers' people and their keys never reach these routes.
StaffOrIntegration = Annotated[Principal, Depends(_vendor_side)]

# Bounded so one URL stays well under the server's request-line limit (about 5 KB of ids).
MAX_FILTER_IDS = 100

# ``?customer_id=a&customer_id=b``: list endpoints filter by one or more customers, so a
# caller (the gateway's DataLoaders) fetches what many customers own in one request.
CustomerIds = Annotated[
    list[uuid.UUID] | None,
    Query(
        max_length=MAX_FILTER_IDS,
        description="One or more customers: repeat the parameter (at most 100).",
    ),
]
