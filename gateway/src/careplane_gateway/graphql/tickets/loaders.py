"""The tickets service as one GraphQL request reads it, keyed by ticket id (the services'
spelling).

However many fields of one query reach the same case (its description, its clocks, a
license key's request ticket, a message's case), the service is asked once per case; the
cases of one batch come in full from one call (``GET /v1/tickets/batch``, up to
``TICKETS_PER_CALL`` of them), so a page of cases costs one call for all their clocks, not one
per case. A case alone is read by its own path, the same read as the REST API's. Messages,
history and attachments are read per case, the cases of one batch concurrently.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from graphql import GraphQLError
from strawberry.dataloader import DataLoader

from careplane_gateway.graphql.batching import each
from careplane_gateway.graphql.calls import ServiceCaller
from careplane_gateway.graphql.convert import Row
from careplane_gateway.graphql.errors import gateway_error

TICKET_NOT_FOUND = "TICKET_NOT_FOUND"
# Tickets' batch read takes at most this many ids.
TICKETS_PER_CALL = 100


def _not_found() -> GraphQLError:
    """What tickets answers for a case the caller may not see (or that does not exist), as
    ``error_from_response`` makes of it: the batch read leaves such a case out."""
    return gateway_error(TICKET_NOT_FOUND, "No such ticket.", service="tickets", status=404)


def full_views(tickets: ServiceCaller) -> DataLoader[str, Row]:
    """Cases in full (with their clocks) by id."""

    async def load(ids: list[str]) -> list[Row | BaseException]:
        if len(ids) == 1:
            try:
                return [await tickets.get(f"/v1/tickets/{ids[0]}")]
            except GraphQLError as error:
                return [error]
        rows: list[Row] = await tickets.get("/v1/tickets/batch", params={"id": ids})
        found = {row["id"]: row for row in rows}
        return [found.get(key) or _not_found() for key in ids]

    return DataLoader(load_fn=load, max_batch_size=TICKETS_PER_CALL)


@dataclass(frozen=True, slots=True)
class TicketsLoaders:
    ticket: DataLoader[str, Row]
    messages: DataLoader[str, list[Row]]
    history: DataLoader[str, list[Row]]
    attachments: DataLoader[str, list[Row]]

    @classmethod
    def for_request(cls, tickets: ServiceCaller) -> TicketsLoaders:
        return cls(
            ticket=full_views(tickets),
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
