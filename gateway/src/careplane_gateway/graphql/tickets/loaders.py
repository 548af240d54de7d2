"""The tickets service as one GraphQL request reads it, keyed by ticket id (the services'
spelling).

However many fields of one query reach the same case (its description, its clocks, a
license key's request ticket, a message's case), the service is asked once per case, and the
cases of one batch are asked for concurrently. Tickets has no endpoint that answers several
cases in full at once; once it has one, only ``ticket`` changes here.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from graphql import GraphQLError
from strawberry.dataloader import DataLoader

from careplane_gateway.graphql.batching import each
from careplane_gateway.graphql.calls import ServiceCaller
from careplane_gateway.graphql.convert import Row

TICKET_NOT_FOUND = "TICKET_NOT_FOUND"


@dataclass(frozen=True, slots=True)
class TicketsLoaders:
    ticket: DataLoader[str, Row]
    messages: DataLoader[str, list[Row]]
    history: DataLoader[str, list[Row]]
    attachments: DataLoader[str, list[Row]]

    @classmethod
    def for_request(cls, tickets: ServiceCaller) -> TicketsLoaders:
        return cls(
            ticket=each(lambda key: tickets.get(f"/v1/tickets/{key}")),
            messages=each(lambda key: tickets.get(f"/v1/tickets/{key}/messages")),
            history=each(lambda key: tickets.get(f"/v1/tickets/{key}/history")),
            attachments=each(lambda key: tickets.get(f"/v1/tickets/{key}/attachments")),
        )

    async def ticket_row(self, ticket_id: object) -> Row:
        """A case in full (TICKET_NOT_FOUND when the caller may not see it)."""
        return await self.ticket.load(str(ticket_id))

    async def linked_ticket_row(self, ticket_id: object | None) -> Row | None:
        """A case another record points to: None when there is none or the caller may not
        see it (a link is no reason to fail the whole record)."""
        if ticket_id is None:
            return None
        try:
            return await self.ticket_row(ticket_id)
        except GraphQLError as error:
            if (error.extensions or {}).get("code") == TICKET_NOT_FOUND:
                return None
            raise

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
