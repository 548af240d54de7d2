"""Dependencies shared by contracts' routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

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
