"""Per-request loaders over the tickets service, keyed by ticket id (the services' spelling).

However many fields of one query reach the same case (its description, its clocks, a
license key's request ticket, a message's case), the service is asked once per case, and the
cases of one batch are asked for concurrently. Tickets has no endpoint that answers several
cases in full at once; once it has one, only ``_each`` changes here.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from strawberry.dataloader import DataLoader

from gateway.graphql.calls import ServiceCaller

Row = Mapping[str, Any]


def _each(fetch: Callable[[str], Awaitable[Any]]) -> DataLoader[str, Any]:
    async def load(ticket_ids: list[str]) -> list[Any]:
        return list(
            await asyncio.gather(*(fetch(key) for key in ticket_ids), return_exceptions=True)
        )

    return DataLoader(load_fn=load)


@dataclass(frozen=True, slots=True)
class TicketsLoaders:
    ticket: DataLoader[str, Row]
    messages: DataLoader[str, list[Row]]
    history: DataLoader[str, list[Row]]
    attachments: DataLoader[str, list[Row]]

    @classmethod
    def for_request(cls, tickets: ServiceCaller) -> TicketsLoaders:
        return cls(
            ticket=_each(lambda key: tickets.get(f"/v1/tickets/{key}")),
            messages=_each(lambda key: tickets.get(f"/v1/tickets/{key}/messages")),
            history=_each(lambda key: tickets.get(f"/v1/tickets/{key}/history")),
            attachments=_each(lambda key: tickets.get(f"/v1/tickets/{key}/attachments")),
        )

    def forget(self, ticket_id: str) -> None:
        """After a change to the case: later fields of the same request load it again."""
        for loader in (self.ticket, self.messages, self.history, self.attachments):
            # Strawberry's clear raises for a key it never loaded.
            with contextlib.suppress(KeyError):
                loader.clear(ticket_id)

    def fresh(self, row: Row) -> None:
        """A case as a mutation (or a lookup by number) just answered it: later fields of the
        request see this state, not one loaded before the change."""
        key = str(row["id"])
        self.forget(key)
        self.ticket.prime(key, row)
