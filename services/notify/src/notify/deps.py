"""Dependencies shared by notify's routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from careplane_shared.auth import CurrentPrincipal
from notify.access import Scope, manager_scope, reader_scope
from notify.clients.contracts import ContractsClient
from notify.clients.tickets import TicketsClient
from notify.config import NotifySettings


def _settings(request: Request) -> NotifySettings:
    settings: NotifySettings = request.app.state.settings
    return settings


def _scope(principal: CurrentPrincipal) -> Scope:
    return manager_scope(principal)


def _contracts(request: Request) -> ContractsClient:
    contracts: ContractsClient = request.app.state.contracts
    return contracts


def _tickets(request: Request) -> TicketsClient:
    tickets: TicketsClient = request.app.state.tickets
    return tickets


SettingsDep = Annotated[NotifySettings, Depends(_settings)]
TicketsDep = Annotated[TicketsClient, Depends(_tickets)]
ContractsDep = Annotated[ContractsClient, Depends(_contracts)]
ScopeDep = Annotated[Scope, Depends(_scope)]


def _reader_scope(principal: CurrentPrincipal) -> Scope:
    return reader_scope(principal)


ReaderScopeDep = Annotated[Scope, Depends(_reader_scope)]
