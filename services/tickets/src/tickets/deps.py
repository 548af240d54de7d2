"""Dependencies shared by tickets' routers.

They are coroutines even where they only read ``app.state``: FastAPI runs a plain ``def``
dependency in its thread pool, a thread hand-off per dependency per request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from careplane_shared.db import get_database
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


async def _read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for a route that only reads: its statements run without a transaction,
    which saves the BEGIN and COMMIT round trips (as many as the reads themselves on a
    one-query route). Nothing is lost: under PostgreSQL's READ COMMITTED every statement
    sees its own snapshot anyway, and nothing is written.

    Like ``DbSession`` it closes when the route function returns, before the response
    is sent: its connection goes back to the pool at once. A sessionmaker bound to a
    connection (tests: the test's own transaction) is used as it is: its reads see what
    the test wrote."""
    maker = get_database(request).sessionmaker
    async with maker() as session:
        if isinstance(session.bind, AsyncEngine):
            await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        yield session


OutboxDep = Annotated[Outbox, Depends(_outbox)]
ContractsDep = Annotated[ContractsClient, Depends(_contracts)]
PolicyDep = Annotated[TicketPolicy, Depends(_policy)]
ReadSession = Annotated[AsyncSession, Depends(_read_session, scope="function")]
