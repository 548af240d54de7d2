"""Which live events reach a stream: a ``customer_only`` repeat (a case announced to its
customer once the entitlement recheck named it) reaches the customer's side only."""

from __future__ import annotations

import uuid

from careplane_shared.auth import Principal, Role
from tickets.live import hears

ACME = uuid.uuid4()
ALICE = uuid.uuid4()


def _opened(**extra: object) -> dict[str, object]:
    return {
        "ticket_id": str(uuid.uuid4()),
        "customer_id": str(ACME),
        "contact_id": str(ALICE),
        "case_visibility": "shared",
        **extra,
    }


def test_a_customer_only_repeat_reaches_the_customers_side_only() -> None:
    customer_side = [
        Principal(subject=str(ALICE), role=Role.CONTACT, customer_id=ACME),
        Principal(subject=str(uuid.uuid4()), role=Role.CUSTOMER_ADMIN, customer_id=ACME),
        Principal(subject="acme-key", role=Role.INTEGRATION, customer_id=ACME),
    ]
    vendor_side = [
        Principal(subject="agent", role=Role.AGENT),
        Principal(subject="crm", role=Role.INTEGRATION),
    ]
    other_customer = Principal(
        subject=str(uuid.uuid4()), role=Role.CONTACT, customer_id=uuid.uuid4()
    )
    repeat, original = _opened(customer_only=True), _opened()
    for principal in customer_side:
        assert hears(principal, repeat) and hears(principal, original), principal
    for principal in vendor_side:
        assert not hears(principal, repeat) and hears(principal, original), principal
    assert not hears(other_customer, repeat) and not hears(other_customer, original)
