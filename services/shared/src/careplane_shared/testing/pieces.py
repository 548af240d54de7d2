"""The four pieces as the tests build them (``careplane_shared.testing.service``).

Named by import path: importing this module imports none of them."""

from __future__ import annotations

from careplane_shared.testing.service import ServiceKit

CONTRACTS = ServiceKit(
    "contracts", "contracts.config:ContractsSettings", "contracts.main:create_app"
)
TICKETS = ServiceKit("tickets", "tickets.config:TicketsSettings", "tickets.main:create_app")
NOTIFY = ServiceKit("notify", "notify.config:NotifySettings", "notify.main:create_app")
GATEWAY = ServiceKit(
    "gateway",
    "careplane_gateway.config:GatewaySettings",
    "careplane_gateway.main:create_app",
    has_database=False,
)
