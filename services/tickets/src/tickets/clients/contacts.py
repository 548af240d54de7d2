"""Whose contact an id is, asked of contracts with tickets' own credentials."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tickets.clients.contracts import ContractsClient, ContractsUnavailable


async def contact(contracts: ContractsClient, contact_id: uuid.UUID) -> dict[str, Any] | None:
    """The contact (its ``customer_id`` tells whose it is), or None when there is none;
    ContractsUnavailable when contracts cannot tell."""
    try:
        response = await contracts.http.get(f"/v1/contacts/{contact_id}")
    except httpx.HTTPError as exc:
        raise ContractsUnavailable(str(exc)) from exc
    if response.status_code == 404:
        return None
    if not response.is_success:
        raise ContractsUnavailable(f"contracts answered {response.status_code}")
    try:
        body: dict[str, Any] = response.json()
    except ValueError as exc:
        raise ContractsUnavailable("contracts gave no valid answer") from exc
    return body
