"""The per-request GraphQL context: who is calling, the services, fresh DataLoaders.

Over a websocket the context lives as long as the connection: the caller's token may arrive
later, in ``connection_init`` (``authenticate``), and each subscription event gets fresh
loaders (``renew_loaders``), as each HTTP request does.
"""

from __future__ import annotations

from typing import TypeAlias

import strawberry
from starlette.requests import HTTPConnection
from strawberry.fastapi import BaseContext

from careplane_gateway.config import GatewaySettings
from careplane_gateway.graphql.calls import ServiceCaller
from careplane_gateway.graphql.loaders import Loaders
from careplane_gateway.services import ServiceClients, ServiceName


class GatewayContext(BaseContext):
    def __init__(
        self,
        clients: ServiceClients,
        authorization: str | None,
        idempotency_key: str | None = None,
        *,
        events_idle_timeout: float,
    ) -> None:
        super().__init__()
        self.clients = clients
        # The HTTP request's Idempotency-Key, forwarded by the mutations that create.
        self.idempotency_key = idempotency_key
        # How long a service's event stream may stay silent (GatewaySettings).
        self.events_idle_timeout = events_idle_timeout
        self.authenticate(authorization)

    def authenticate(self, authorization: str | None) -> None:
        """Calls from now on carry ``authorization``. The gateway does not judge the token:
        each service verifies it itself."""
        self.authorization = authorization
        self.tickets = ServiceCaller.of(self.clients, ServiceName.TICKETS, authorization)
        self.contracts = ServiceCaller.of(self.clients, ServiceName.CONTRACTS, authorization)
        self.notify = ServiceCaller.of(self.clients, ServiceName.NOTIFY, authorization)
        self.renew_loaders()

    def renew_loaders(self) -> None:
        """Empty loaders: what was loaded before is asked for again (no stale case, and no
        cache growing for as long as a websocket stays open). The operations of one socket
        share its context: one's renewal sends another's fields, resolved meanwhile, to the
        new loaders too, which costs a repeated call at most."""
        self.loaders = Loaders(tickets=self.tickets, contracts=self.contracts, notify=self.notify)


async def get_context(connection: HTTPConnection) -> GatewayContext:
    """For ``POST /graphql`` and for a websocket's handshake alike."""
    clients: ServiceClients = connection.app.state.service_clients
    settings: GatewaySettings = connection.app.state.settings
    return GatewayContext(
        clients,
        connection.headers.get("authorization"),
        connection.headers.get("idempotency-key"),
        events_idle_timeout=settings.ticket_events_idle_timeout_seconds,
    )


Info: TypeAlias = strawberry.Info[GatewayContext, None]
