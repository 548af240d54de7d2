"""Shared test helpers (imported by the test modules; not a fixture file)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from careplane_shared.auth import Role
from careplane_shared.testing import TokenMinter

ACME = uuid.UUID("00000000-0000-4000-8000-00000000acme".replace("acme", "0ac1"))


def ticket_event(
    type_: str = "ticket.opened",
    *,
    customer_id: uuid.UUID | str | None = ACME,
    contact_id: uuid.UUID | str | None = None,
    number: str = "CS-000042",
    event_id: str | None = None,
    **data: Any,
) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": event_id or str(uuid.uuid4()),
        "source": "tickets",
        "type": type_,
        "subject": number,
        "time": datetime.now(UTC).isoformat(),
        "data": {
            "ticket_id": str(uuid.uuid4()),
            "number": number,
            "customer_id": str(customer_id) if customer_id else None,
            # Without a contact no mail is routed: webhook tests see only their webhooks.
            "contact_id": str(contact_id) if contact_id else None,
            "status": "OPEN",
            "priority": "HIGH",
            "subject": "Pump station telemetry stopped",
            "language": "en",
            **data,
        },
    }


async def post_event(client: httpx.AsyncClient, minter: TokenMinter, event: dict) -> httpx.Response:
    headers = minter.headers(Role.SERVICE, subject="svc-tickets")
    return await client.post("/v1/events", json=event, headers=headers)


def staff(minter: TokenMinter) -> dict[str, str]:
    return minter.headers(Role.ADMIN, email="admin@example.com")


async def make_due(engine: AsyncEngine) -> None:
    """As if the retry delays had passed: every pending delivery is due now."""
    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE deliveries SET next_attempt_at = now() WHERE status = 'pending'")
        )


async def drain(worker, engine: AsyncEngine, rounds: int = 20) -> int:
    """Runs the worker, skipping retry delays, until nothing is left to do."""
    handled = 0
    for _ in range(rounds):
        await make_due(engine)
        n = await worker.run_once()
        handled += n
        if n == 0:
            break
    return handled


class EitherVerifier:
    """Accepts the test minter's tokens (services posting events) and contracts' own (people
    who logged in), as a deployment whose gateway and services share one issuer would."""

    def __init__(self, *verifiers) -> None:
        self.verifiers = verifiers

    async def verify(self, token: str):
        from careplane_shared.errors import Unauthenticated

        for verifier in self.verifiers[:-1]:
            try:
                return await verifier.verify(token)
            except Unauthenticated:
                continue
        return await self.verifiers[-1].verify(token)
