"""Who may do what in notify, by principal kind and tenant: written once, used by every router.

- Staff: everything; the staff-only resources (chat channels, the staff digest, the dev
  mailbox, maintenance windows' creation) take ``StaffPrincipal``, which a customer-bound
  key never passes (it counts as its customer's administrator).
- The vendor's own integration keys (bound to no customer): manage every webhook endpoint and
  read every delivery and notice, as staff do for those.
- A customer's administrators and the keys bound to that customer: that customer's own
  webhook endpoints and deliveries, never a global endpoint nor another tenant's records
  (another tenant's id answers 404, exactly as an unknown one).
- A customer's plain contacts: the notices their customer was sent, their own preferences.
- Services: the event inbox, and reading notices.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from careplane_shared.auth import Principal, PrincipalKind, Role
from notify.exceptions import NotificationsNotForRole


@dataclass(frozen=True, slots=True)
class Scope:
    """``customer_id`` None with ``everyone`` True: every customer and the global resources
    (staff, the vendor's integrations); otherwise exactly one customer's."""

    everyone: bool
    customer_id: uuid.UUID | None

    def allows(self, customer_id: uuid.UUID | None) -> bool:
        return self.everyone or (customer_id is not None and customer_id == self.customer_id)


EVERYONE = Scope(everyone=True, customer_id=None)


def manager_scope(principal: Principal) -> Scope:
    """Who manages webhook endpoints and reads deliveries: staff and the vendor's
    integrations everyone's; a customer's administrators and its bound keys (which are its
    administrators at most) only their own customer's."""
    kind = principal.kind
    if kind in (PrincipalKind.STAFF, PrincipalKind.VENDOR_INTEGRATION):
        return EVERYONE
    if kind is PrincipalKind.CUSTOMER_INTEGRATION or (
        kind is PrincipalKind.CUSTOMER and principal.effective_role is Role.CUSTOMER_ADMIN
    ):
        return Scope(everyone=False, customer_id=principal.customer_id)
    raise NotificationsNotForRole()


def reader_scope(principal: Principal) -> Scope:
    """Reading notices sent to customers: staff, services and the vendor's integrations
    read all; a customer's contacts and bound keys what their own customer was sent."""
    if principal.is_customer:
        return Scope(everyone=False, customer_id=principal.customer_id)
    return EVERYONE


def may_manage_contact(principal: Principal, contact_id: uuid.UUID) -> bool:
    """Within the contact's own customer (checked by the caller): the contact itself or an
    administrator of the customer (a bound key counts as one)."""
    return principal.subject == str(contact_id) or principal.is_customer_admin
