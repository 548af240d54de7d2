"""Which customers a notice concerns and whom to write to at each, read from contracts.

A lifecycle announcement goes to every customer with an active agreement covering the
product, addressed to its administrators (all its registered contacts when it has none); a
maintenance notice to the registered contacts of the customers it affects. Each customer
gets one mail in its own language.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from notify.clients.contracts import ContractsClient
from notify.mail.compose import language_of


class Addressing(StrEnum):
    # The customer's administrators, or every registered contact when none is one.
    ADMINISTRATORS = "administrators"
    # Every registered contact.
    REGISTERED = "registered"


@dataclass(frozen=True, slots=True)
class Addressee:
    customer_id: uuid.UUID
    name: str
    language: str
    timezone: str
    addresses: list[str]


def pick_addresses(contacts: Iterable[dict[str, Any]], addressing: Addressing) -> list[str]:
    """The addresses to write to among one customer's contacts (inactive ones never, nor
    pending ones: :meth:`ContractsClient.contacts_of` asks for none, this holds regardless)."""
    registered = [
        c
        for c in contacts
        if c.get("active", True) and c.get("registered", True) and not c.get("pending", False)
    ]
    if addressing is Addressing.ADMINISTRATORS:
        admins = [c for c in registered if c.get("is_admin")]
        registered = admins or registered
    return sorted({str(c["email"]).lower() for c in registered})


def customers_covering(
    agreements: Iterable[dict[str, Any]], product_id: uuid.UUID | None
) -> set[str]:
    """Customers with one of these agreements (covering the product, when one is named)."""
    wanted = str(product_id) if product_id else None
    return {
        str(a["customer_id"])
        for a in agreements
        if wanted is None or wanted in {str(p) for p in a.get("product_ids") or ()}
    }


async def addressees(
    contracts: ContractsClient,
    *,
    product_id: uuid.UUID | None = None,
    customer_ids: Sequence[uuid.UUID] | None = None,
    addressing: Addressing,
) -> list[Addressee]:
    """Named customers as they are; otherwise every customer with an active agreement
    (on the product, when one is named). Raises ContractsUnavailable."""
    if customer_ids is not None:
        wanted = {str(c) for c in customer_ids}
    else:
        wanted = customers_covering(await contracts.active_agreements(), product_id)
    if not wanted:
        return []
    customers = await contracts.customers(wanted)
    contacts_by_customer: dict[str, list[dict[str, Any]]] = {}
    for contact in await contracts.contacts_of(sorted(customers)):
        contacts_by_customer.setdefault(str(contact["customer_id"]), []).append(contact)
    return [
        Addressee(
            customer_id=uuid.UUID(customer_id),
            name=str(customer["name"]),
            language=language_of(customer.get("language")),
            timezone=str(customer.get("timezone") or "UTC"),
            addresses=pick_addresses(contacts_by_customer.get(customer_id, []), addressing),
        )
        for customer_id, customer in sorted(customers.items(), key=lambda kv: kv[1]["name"])
    ]
