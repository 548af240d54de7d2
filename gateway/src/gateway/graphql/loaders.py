"""DataLoaders, created fresh for every request (never process-wide: a shared cache would
hand one caller's answers to another)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from strawberry.dataloader import DataLoader

from gateway.graphql.calls import ServiceCaller
from gateway.graphql.contracts.loaders import ContractsLoaders
from gateway.graphql.tickets.loaders import TicketsLoaders


def resource_loader(caller: ServiceCaller) -> DataLoader[str, Any]:
    """GETs by path: however many fields of one query ask for the same resource, the
    service is called once."""

    async def load(paths: list[str]) -> list[Any]:
        return list(
            await asyncio.gather(*(caller.get(path) for path in paths), return_exceptions=True)
        )

    return DataLoader(load_fn=load)


@dataclass(frozen=True, slots=True)
class Loaders:
    """A domain's batching loaders join these as the schema grows."""

    tickets: DataLoader[str, Any]
    contracts: DataLoader[str, Any]
    notify: DataLoader[str, Any]
    contracts_batches: ContractsLoaders
    tickets_batches: TicketsLoaders

    @classmethod
    def for_request(
        cls, *, tickets: ServiceCaller, contracts: ServiceCaller, notify: ServiceCaller
    ) -> Loaders:
        return cls(
            tickets=resource_loader(tickets),
            contracts=resource_loader(contracts),
            notify=resource_loader(notify),
            contracts_batches=ContractsLoaders.for_request(contracts),
            tickets_batches=TicketsLoaders.for_request(tickets),
        )
