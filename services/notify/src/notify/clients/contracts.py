"""notify's typed client for contracts: who a recipient is (contacts, customers), and which
customers an announcement concerns (active agreements and the products they cover).

Lists of a customer's contacts hold accepted contacts only: a pending one (invited, not yet
accepted) may carry an address that belongs to someone else, so nothing is mailed to it but
its invitation."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import httpx

# contracts' list endpoints: at most 200 items a page and 100 ids a filter.
PAGE_SIZE = 200
MAX_IDS = 100


class ContractsUnavailable(Exception):
    """Contracts did not answer usefully: the delivery is tried again later."""


def _batches(ids: Iterable[uuid.UUID | str], size: int = MAX_IDS) -> list[list[str]]:
    unique = sorted({str(i) for i in ids})
    return [unique[i : i + size] for i in range(0, len(unique), size)]


class ContractsClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def _get(self, path: str, **params: Any) -> Any:
        try:
            response = await self.http.get(path, params=params or None)
        except httpx.HTTPError as exc:
            raise ContractsUnavailable(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise ContractsUnavailable(f"contracts answered {response.status_code} for {path}")
        return response.json()

    async def _all(self, path: str, **params: Any) -> list[dict[str, Any]]:
        """Every item of a paginated list, page after page."""
        items: list[dict[str, Any]] = []
        while True:
            page = await self._get(path, **params, limit=PAGE_SIZE, offset=len(items))
            if page is None:
                raise ContractsUnavailable(f"contracts has no {path}")
            items.extend(page["items"])
            if not page["items"] or len(items) >= page["total"]:
                return items

    async def contact(self, contact_id: uuid.UUID | str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = await self._get(f"/v1/contacts/{contact_id}")
        return found

    async def customer(self, customer_id: uuid.UUID | str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = await self._get(f"/v1/customers/{customer_id}")
        return found

    async def active_agreements(self) -> list[dict[str, Any]]:
        """Agreements in force today (contracts decides: stored active and not yet ended)."""
        return await self._all("/v1/agreements", status="active")

    async def customers(self, ids: Iterable[uuid.UUID | str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for batch in _batches(ids):
            for customer in await self._all("/v1/customers", id=batch):
                found[str(customer["id"])] = customer
        return found

    async def contacts_of(self, customer_ids: Sequence[uuid.UUID | str]) -> list[dict[str, Any]]:
        """The accepted contacts of these customers (contracts filters: ``pending=false``)."""
        contacts: list[dict[str, Any]] = []
        for batch in _batches(customer_ids):
            contacts.extend(await self._all("/v1/contacts", customer_id=batch, pending="false"))
        return contacts
