"""notify's client for tickets: is this case the caller's to see? Asked with the caller's
own token, so tickets' tenancy rules decide (docs/domain.md section 2), not a copy of them here."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from notify.clients.exceptions import TicketNotFound, TicketsUnavailable


class TicketsClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def ticket(self, ticket_id: uuid.UUID) -> dict[str, Any]:
        """The case as the caller sees it; 404 when the caller may not see it."""
        try:
            response = await self.http.get(f"/v1/tickets/{ticket_id}")
        except httpx.HTTPError as exc:
            raise TicketsUnavailable() from exc
        if response.status_code in (403, 404):
            raise TicketNotFound()
        if response.status_code >= 400:
            raise TicketsUnavailable.answered(response.status_code)
        found: dict[str, Any] = response.json()
        return found
