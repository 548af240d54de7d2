"""Who owns a customer's escalation: the Client Services Manager of the customer's region,
as contracts names it (``GET /v1/customers/{id}/client-services-manager``)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
import structlog

from tickets.clients.contracts import ContractsClient

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Manager:
    id: uuid.UUID
    email: str
    name: str


# A customer's id → its region's manager (None: nobody named, or no answer now).
ManagerLookup = Callable[[uuid.UUID | None], Awaitable[Manager | None]]


async def manager_of(contracts: ContractsClient, customer_id: uuid.UUID | None) -> Manager | None:
    """The manager, or None when the region has none or contracts cannot say now: the
    customer's escalation is kept all the same (a manager or administrator resolves it)."""
    if customer_id is None:
        return None
    try:
        response = await contracts.http.get(f"/v1/customers/{customer_id}/client-services-manager")
    except httpx.HTTPError as exc:
        log.warning("csm_lookup_failed", customer_id=str(customer_id), error=str(exc))
        return None
    if response.status_code != 200:
        log.warning("csm_not_named", customer_id=str(customer_id), status=response.status_code)
        return None
    try:
        body = response.json()
        return Manager(uuid.UUID(str(body["staff_user_id"])), str(body["email"]), str(body["name"]))
    except (ValueError, KeyError, TypeError):
        return None
