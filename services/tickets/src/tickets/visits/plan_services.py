"""What the customer's agreements in force include, asked of contracts at the moment a
visit is booked or an emergency declared."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from careplane_shared.errors import CareplaneError, NotFound
from tickets.clients.contracts import ContractsClient, ContractsUnavailable
from tickets.oncall.exceptions import ContractsUnreachable


async def included(contracts: ContractsClient, customer_id: uuid.UUID, day: date) -> dict[str, Any]:
    """Contracts' answer; an unknown customer is 404 ``CUSTOMER_NOT_FOUND``, contracts
    out of reach 503 (nothing is written without the plan's word)."""
    try:
        return await contracts.included_services(customer_id, day)
    except ContractsUnavailable as exc:
        raise ContractsUnreachable() from exc
    except CareplaneError as exc:
        if exc.status_code == 404:
            raise NotFound("No such customer.", code="CUSTOMER_NOT_FOUND") from exc
        raise
