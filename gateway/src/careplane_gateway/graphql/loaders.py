"""DataLoaders, created fresh for every request (never process-wide: a shared cache would
hand one caller's answers to another). Each domain keeps its own in its ``loaders.py``;
resolvers reach them as ``info.context.loaders.<domain>``."""

from __future__ import annotations

from dataclasses import dataclass

from careplane_gateway.graphql.calls import ServiceCaller
from careplane_gateway.graphql.contracts.loaders import ContractsLoaders
from careplane_gateway.graphql.notify.loaders import NotifyLoaders
from careplane_gateway.graphql.tickets.loaders import TicketsLoaders


@dataclass(frozen=True, slots=True)
class Loaders:
    tickets: TicketsLoaders
    contracts: ContractsLoaders
    notify: NotifyLoaders

    @classmethod
    def for_request(
        cls, *, tickets: ServiceCaller, contracts: ServiceCaller, notify: ServiceCaller
    ) -> Loaders:
        return cls(
            tickets=TicketsLoaders.for_request(tickets),
            contracts=ContractsLoaders.for_request(contracts),
            notify=NotifyLoaders.for_request(notify),
        )
