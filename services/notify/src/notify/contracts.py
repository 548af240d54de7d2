"""notify's typed client for contracts: who a recipient is (contacts, customers)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx


class ContractsUnavailable(Exception):
    """Contracts did not answer usefully: the delivery is tried again later."""


class ContractsClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def _get(self, path: str, **params: Any) -> dict[str, Any] | None:
        try:
            response = await self.http.get(path, params=params or None)
        except httpx.HTTPError as exc:
            raise ContractsUnavailable(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise ContractsUnavailable(f"contracts answered {response.status_code} for {path}")
        body: dict[str, Any] = response.json()
        return body

    async def contact(self, contact_id: uuid.UUID | str) -> dict[str, Any] | None:
        return await self._get(f"/v1/contacts/{contact_id}")

    async def customer(self, customer_id: uuid.UUID | str) -> dict[str, Any] | None:
        return await self._get(f"/v1/customers/{customer_id}")
