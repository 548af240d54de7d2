"""Dependencies shared by tickets' routers.

They are coroutines even where they only read ``app.state``: FastAPI runs a plain ``def``
dependency in its thread pool, a thread hand-off per dependency per request.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

# Reads without a transaction: shared by every piece, named here for tickets' routers.
from careplane_shared.db import ReadSession as ReadSession
from careplane_shared.events import Outbox
from tickets.clients.contracts import ContractsClient
from tickets.ticket.policy import TicketPolicy


async def _outbox(request: Request) -> Outbox:
    outbox: Outbox = request.app.state.outbox
    return outbox


async def _contracts(request: Request) -> ContractsClient:
    client: ContractsClient = request.app.state.contracts
    return client


async def _policy(request: Request) -> TicketPolicy:
    policy: TicketPolicy = request.app.state.ticket_policy
    return policy


OutboxDep = Annotated[Outbox, Depends(_outbox)]
ContractsDep = Annotated[ContractsClient, Depends(_contracts)]
PolicyDep = Annotated[TicketPolicy, Depends(_policy)]
