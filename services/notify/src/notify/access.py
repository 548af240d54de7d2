"""Who may manage notify's resources, and for which customer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from careplane_shared.auth import Principal, Role
from careplane_shared.errors import Forbidden

MANAGERS = frozenset({Role.ADMIN, Role.MANAGER, Role.AGENT, Role.CUSTOMER_ADMIN, Role.INTEGRATION})


@dataclass(frozen=True, slots=True)
class Scope:
    """``customer_id`` None with ``everyone`` True: every customer and the global resources
    (staff, unscoped integrations); otherwise exactly one customer's."""

    everyone: bool
    customer_id: uuid.UUID | None

    def allows(self, customer_id: uuid.UUID | None) -> bool:
        return self.everyone or (customer_id is not None and customer_id == self.customer_id)


def manager_scope(principal: Principal) -> Scope:
    """Staff, customer administrators and integration keys manage webhooks and read
    deliveries; a customer-bound one only its own customer's."""
    if principal.role not in MANAGERS:
        raise Forbidden("Your role may not manage notifications.", code="ROLE_FORBIDDEN")
    if principal.is_staff or principal.customer_id is None:
        return Scope(everyone=True, customer_id=None)
    return Scope(everyone=False, customer_id=principal.customer_id)


def reader_scope(principal: Principal) -> Scope:
    """Reading notices sent to customers: staff, services and unscoped keys read all; a
    customer's contacts and keys read what their own customer was sent."""
    if principal.customer_id is None and not principal.is_customer:
        return Scope(everyone=True, customer_id=None)
    return Scope(everyone=False, customer_id=principal.customer_id)
