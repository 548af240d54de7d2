"""Dependencies shared by tickets' routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from careplane_shared.events import Outbox
from tickets.clients.contracts import ContractsClient
from tickets.ticket.policy import TicketPolicy


def _outbox(request: Request) -> Outbox:
    outbox: Outbox = request.app.state.outbox
    return outbox


def _contracts(request: Request) -> ContractsClient:
    client: ContractsClient = request.app.state.contracts
    return client


def _policy(request: Request) -> TicketPolicy:
    policy: TicketPolicy = request.app.state.ticket_policy
    return policy


OutboxDep = Annotated[Outbox, Depends(_outbox)]
ContractsDep = Annotated[ContractsClient, Depends(_contracts)]
PolicyDep = Annotated[TicketPolicy, Depends(_policy)]
