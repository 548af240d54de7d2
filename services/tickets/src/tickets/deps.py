"""Dependencies shared by tickets' routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from careplane_shared.events import Outbox
from tickets.clients.contracts import ContractsClient
from tickets.ticket.service import TicketPolicy


def _outbox(request: Request) -> Outbox:
    outbox: Outbox = request.app.state.outbox
    return outbox


def _contracts(request: Request) -> ContractsClient:
    client: ContractsClient = request.app.state.contracts
    return client


def _rules(request: Request) -> TicketPolicy:
    rules: TicketPolicy = request.app.state.ticket_rules
    return rules


OutboxDep = Annotated[Outbox, Depends(_outbox)]
ContractsDep = Annotated[ContractsClient, Depends(_contracts)]
RulesDep = Annotated[TicketPolicy, Depends(_rules)]
