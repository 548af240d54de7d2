"""Dependencies shared by contracts' routers."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query, Request

from careplane_shared.auth import STAFF_ROLES, Principal, Role, require_roles
from careplane_shared.events import Outbox


def _outbox(request: Request) -> Outbox:
    outbox: Outbox = request.app.state.outbox
    return outbox


OutboxDep = Annotated[Outbox, Depends(_outbox)]

# Who may change the catalogue and customers' contracts: support management.
Manager = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.MANAGER))]
Staff = Annotated[Principal, Depends(require_roles(STAFF_ROLES))]
# Integrations (CRM sync) and services act on customers too.
StaffOrIntegration = Annotated[
    Principal,
    Depends(require_roles(STAFF_ROLES, Role.INTEGRATION, Role.SERVICE)),
]

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
