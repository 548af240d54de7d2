"""Who a mail's sender is, and what a mail-opened case is about, asked of contracts.

The sender is looked up in contracts' contact list filtered by address
(``GET /v1/contacts?email=``, compared case-insensitively as contracts' unique indexes
compare addresses). An address may belong to contacts of several customers (a pending
invitation, say): the one of the answered case's customer wins, else the one that may
open cases. A mail names no product: the case is
about the first product of the customer's active agreement, at its newest supported release.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from tickets.clients.contracts import ContractsClient, ContractsUnavailable

# Contacts of one address: one per customer at most (contracts' unique index).
MATCHES = 100


@dataclass(frozen=True, slots=True)
class Contact:
    id: str
    customer_id: str
    email: str
    name: str
    active: bool
    registered: bool
    pending: bool

    @property
    def may_open(self) -> bool:
        return self.active and self.registered and not self.pending


async def _get(contracts: ContractsClient, path: str, params: Any = None) -> Any:
    try:
        response = await contracts.http.get(path, params=params)
    except httpx.HTTPError as exc:
        raise ContractsUnavailable(str(exc)) from exc
    if not response.is_success:
        raise ContractsUnavailable(f"contracts answered {response.status_code} for {path}")
    return response.json()


async def contact_by_email(
    contracts: ContractsClient, address: str, *, customer_id: str | None = None
) -> Contact | None:
    """The contact writing from ``address``: of ``customer_id`` (the customer of the case the
    mail answers) when the address has a contact there, else the one that may open cases."""
    wanted = address.strip().lower()
    body = await _get(contracts, "/v1/contacts", {"email": wanted, "limit": MATCHES})
    found = [
        Contact(
            id=str(item["id"]),
            customer_id=str(item["customer_id"]),
            email=wanted,
            name=str(item.get("name") or wanted),
            active=bool(item.get("active", True)),
            registered=bool(item.get("registered", True)),
            pending=bool(item.get("pending", False)),
        )
        for item in body.get("items", [])
        if str(item.get("email", "")).lower() == wanted
    ]
    ranked = sorted(found, key=lambda c: (c.customer_id != customer_id, not c.may_open))
    return ranked[0] if ranked else None


async def product_for(contracts: ContractsClient, customer_id: str) -> tuple[str, str] | None:
    """(product id, version) a mail-opened case is about, or None when the customer has no
    active agreement with a supported product."""
    agreements = await _get(
        contracts, "/v1/agreements", {"customer_id": customer_id, "status": "active", "limit": 20}
    )
    for agreement in agreements.get("items", []):
        for product_id in agreement.get("product_ids", []):
            versions = await _get(contracts, f"/v1/products/{product_id}/supported-versions")
            if versions:
                newest = max(versions, key=lambda v: _version_key(str(v["version"])))
                return str(product_id), str(newest["version"])
    return None


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else 0 for part in version.split("."))
