"""DataLoaders, created fresh for every request (never process-wide: a shared cache would
hand one caller's answers to another). Each domain keeps its own in its ``loaders.py``;
resolvers reach them as ``info.context.loaders.<domain>``."""

from __future__ import annotations

from functools import cached_property

from careplane_gateway.graphql.calls import ServiceCaller
from careplane_gateway.graphql.contracts.loaders import ContractsLoaders
from careplane_gateway.graphql.notify.loaders import NotifyLoaders
from careplane_gateway.graphql.tickets.loaders import TicketsLoaders


class Loaders:
    """Each domain's loaders, made when a field of the request first reaches for them: most
    requests touch one or two services, and a dozen DataLoaders per request cost more than
    the conversion of a small answer."""

    def __init__(
        self, *, tickets: ServiceCaller, contracts: ServiceCaller, notify: ServiceCaller
    ) -> None:
        self._tickets = tickets
        self._contracts = contracts
        self._notify = notify

    @cached_property
    def tickets(self) -> TicketsLoaders:
        return TicketsLoaders.for_request(self._tickets)

    @cached_property
    def contracts(self) -> ContractsLoaders:
        return ContractsLoaders.for_request(self._contracts)

    @cached_property
    def notify(self) -> NotifyLoaders:
        return NotifyLoaders.for_request(self._notify)
