"""The per-request GraphQL context: who is calling, the services, fresh DataLoaders."""

from __future__ import annotations

from typing import TypeAlias

import strawberry
from starlette.requests import HTTPConnection
from strawberry.fastapi import BaseContext

from gateway.graphql.calls import ServiceCaller
from gateway.graphql.loaders import Loaders
from gateway.services import ServiceClients, ServiceName


class GatewayContext(BaseContext):
    def __init__(
        self,
        clients: ServiceClients,
        authorization: str | None,
        idempotency_key: str | None = None,
    ) -> None:
        super().__init__()
        # The gateway does not judge the token: each service verifies it itself.
        self.authorization = authorization
        # The HTTP request's Idempotency-Key, forwarded by the mutations that create.
        self.idempotency_key = idempotency_key
        self.tickets = ServiceCaller.of(clients, ServiceName.TICKETS, authorization)
        self.contracts = ServiceCaller.of(clients, ServiceName.CONTRACTS, authorization)
        self.notify = ServiceCaller.of(clients, ServiceName.NOTIFY, authorization)
        self.loaders = Loaders.for_request(
            tickets=self.tickets, contracts=self.contracts, notify=self.notify
        )


async def get_context(connection: HTTPConnection) -> GatewayContext:
    clients: ServiceClients = connection.app.state.service_clients
    return GatewayContext(
        clients,
        connection.headers.get("authorization"),
        connection.headers.get("idempotency-key"),
    )


Info: TypeAlias = strawberry.Info[GatewayContext, None]
