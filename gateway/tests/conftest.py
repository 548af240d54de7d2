"""The gateway in front of the real services, in-process, on real PostgreSQL: contracts for
every test, tickets and notify for their parts of the schema, and tickets and the gateway
served on loopback for subscriptions over real sockets. ``careplane_shared.testing`` builds
each piece; what stays here is how this suite wires them (the names the gateway calls them
by, one ``SerialTransport`` per service, the demo data), one section per service.

Fixture names carry ``gateway_`` or ``contracts_`` so they cannot be mistaken for the
contracts suite's own fixtures of similar purpose.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from careplane_gateway.config import GatewaySettings
from careplane_shared.auth import TokenVerifier
from careplane_shared.testing import serve_on_loopback
from careplane_shared.testing.pieces import CONTRACTS, GATEWAY, NOTIFY, TICKETS
from careplane_shared.testing.plugin import ProvisionDatabase
from careplane_shared.testing.service import ServiceDatabase, verifier_of
from careplane_shared.testing.transport import SerialTransport
from contracts.config import ContractsSettings
from contracts.identity.secrets import hash_password
from contracts.models import Contact, Customer, Plan, Product, StaffUser
from contracts.seed import DEMO_PASSWORD, STAFF, seed_demo

# Only the in-process transports answer these names; they never reach a network.
CONTRACTS_URL = "http://contracts.internal"
TICKETS_URL = "http://tickets.internal"
NOTIFY_URL = "http://notify.internal"

GatewayFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture(scope="session")
async def gateway_contracts_database(
    provision_database: ProvisionDatabase,
) -> AsyncIterator[ServiceDatabase]:
    async with CONTRACTS.database(provision_database) as database:
        yield database


@pytest.fixture
async def contracts_connection(
    gateway_contracts_database: ServiceDatabase,
) -> AsyncIterator[AsyncConnection]:
    async with gateway_contracts_database.rolled_back() as connection:
        yield connection


@pytest.fixture(scope="session")
def gateway_contracts_settings(
    gateway_contracts_database: ServiceDatabase, tmp_path_factory: pytest.TempPathFactory
) -> ContractsSettings:
    keys = tmp_path_factory.mktemp("gateway-keys")
    return CONTRACTS.settings(gateway_contracts_database, jwt_private_key_file=keys / "jwt.pem")


@pytest.fixture
async def contracts_app(
    gateway_contracts_settings: ContractsSettings, contracts_connection: AsyncConnection
) -> AsyncIterator[FastAPI]:
    async with CONTRACTS.app(gateway_contracts_settings, contracts_connection) as app:
        yield app


@pytest.fixture
async def seeded_staff(contracts_connection: AsyncConnection) -> dict[str, uuid.UUID]:
    """The demo staff accounts (password ``careplane``), by email, inside the test's
    transaction."""
    password_hash = hash_password(DEMO_PASSWORD)
    accounts = {email: uuid.uuid4() for email, _, _ in STAFF}
    async with AsyncSession(
        bind=contracts_connection, join_transaction_mode="create_savepoint"
    ) as session:
        session.add_all(
            StaffUser(
                id=accounts[email], email=email, name=name, role=role, password_hash=password_hash
            )
            for email, name, role in STAFF
        )
        await session.commit()
    return accounts


@pytest.fixture
def unreachable_url() -> str:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def gateway_settings(unreachable_url: str) -> GatewaySettings:
    """Contracts runs in-process; tickets and notify are not running in these tests."""
    return GATEWAY.settings(
        contracts_url=CONTRACTS_URL, tickets_url=unreachable_url, notify_url=unreachable_url
    )


@pytest.fixture
def start_gateway(gateway_settings: GatewaySettings, contracts_app: FastAPI) -> GatewayFactory:
    """``async with start_gateway(**settings) as client``: a running gateway with its client.
    ``contracts_transport`` replaces the in-process contracts (None: contracts is not running);
    ``token_verifier`` replaces the gateway's own (which asks contracts for its keys)."""

    @asynccontextmanager
    async def start(
        *,
        contracts_transport: Any = ...,
        token_verifier: TokenVerifier | None = None,
        **overrides: Any,
    ) -> AsyncIterator[httpx.AsyncClient]:
        if contracts_transport is ...:
            contracts_transport = httpx.ASGITransport(app=contracts_app)
        transports = {"contracts": contracts_transport} if contracts_transport else {}
        async with GATEWAY.client(
            gateway_settings.model_copy(update=overrides),
            token_verifier=token_verifier,
            transports=transports,
        ) as client:
            yield client

    return start


@pytest.fixture
def contracts_keys(contracts_app: FastAPI) -> TokenVerifier:
    """A verifier that knows contracts' keys without asking it (for a gateway that cannot
    reach contracts but must still verify tokens)."""
    return verifier_of(contracts_app)


@pytest.fixture
async def gateway_client(start_gateway: GatewayFactory) -> AsyncIterator[httpx.AsyncClient]:
    async with start_gateway() as client:
        yield client


@pytest.fixture
async def admin_token(gateway_client: httpx.AsyncClient, seeded_staff: dict[str, uuid.UUID]) -> str:
    response = await gateway_client.post(
        "/auth/token",
        data={"grant_type": "password", "username": "admin@example.com", "password": "careplane"},
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


@dataclass(frozen=True)
class ContractsDemo:
    """Ids of the demo data (docs/domain.md section 5) as the API spells them."""

    contacts: dict[str, str]  # by email
    customers: dict[str, str]  # by name
    plans: dict[str, str]  # by code
    product_id: str  # Tideway


@pytest.fixture
async def contracts_demo(contracts_connection: AsyncConnection) -> ContractsDemo:
    """The whole demo data set, staff accounts included (password ``careplane``), inside the
    test's transaction."""
    async with AsyncSession(
        bind=contracts_connection, join_transaction_mode="create_savepoint"
    ) as session:
        await seed_demo(session)
        await session.commit()
        contacts = (await session.scalars(select(Contact))).all()
        customers = (await session.scalars(select(Customer))).all()
        plans = (await session.scalars(select(Plan))).all()
        product = await session.scalar(select(Product).where(Product.code == "tideway"))
    assert product is not None
    return ContractsDemo(
        contacts={c.email: str(c.id) for c in contacts},
        customers={c.name: str(c.id) for c in customers},
        plans={p.code: str(p.id) for p in plans},
        product_id=str(product.id),
    )


@pytest.fixture
def contracts_serial_transport(contracts_app: FastAPI) -> SerialTransport:
    """The in-process contracts, one request at a time: every caller of it (the gateway,
    tickets, notify) shares this one, since all its requests run on the test's connection."""
    return SerialTransport.to(contracts_app)


@pytest.fixture
async def gateway_serial_client(
    start_gateway: GatewayFactory, contracts_serial_transport: SerialTransport
) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway whose in-process contracts answers one request at a time
    (``SerialTransport``): for queries whose fields reach contracts concurrently."""
    async with start_gateway(contracts_transport=contracts_serial_transport) as client:
        yield client


# -- the tickets service in-process, wired to the in-process contracts ----------------------------

TicketsFactory = Callable[..., AbstractAsyncContextManager[FastAPI]]
TicketsGatewayFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


def wired_settings(kit: Any, database: ServiceDatabase | str, **overrides: Any) -> Any:
    """A service's settings asking the in-process contracts for tokens and answers, without
    retries."""
    return kit.settings(
        database,
        **{
            "http_retries": 0,
            "contracts_url": CONTRACTS_URL,
            "token_url": f"{CONTRACTS_URL}/auth/token",
            **overrides,
        },
    )


@pytest.fixture(scope="session")
async def gateway_tickets_database(
    provision_database: ProvisionDatabase,
) -> AsyncIterator[ServiceDatabase]:
    async with TICKETS.database(provision_database) as database:
        yield database


@pytest.fixture
async def tickets_connection(
    gateway_tickets_database: ServiceDatabase,
) -> AsyncIterator[AsyncConnection]:
    async with gateway_tickets_database.rolled_back() as connection:
        yield connection


@pytest.fixture
def start_tickets(
    gateway_tickets_database: ServiceDatabase,
    tickets_connection: AsyncConnection,
    contracts_app: FastAPI,
    contracts_serial_transport: SerialTransport,
    tmp_path: Path,
) -> TicketsFactory:
    """``async with start_tickets() as app``: the real tickets app on the test's tickets
    connection, trusting contracts' tokens and asking the in-process contracts for
    entitlement. Its calls share the gateway's ``SerialTransport`` to contracts, since every
    contracts request runs on the one test connection. ``contracts_url`` sends them over the
    network there instead (e.g. to a port nothing listens on)."""

    @asynccontextmanager
    async def start(*, contracts_url: str | None = None) -> AsyncIterator[FastAPI]:
        url = contracts_url or CONTRACTS_URL
        settings = wired_settings(
            TICKETS,
            gateway_tickets_database,
            contracts_url=url,
            token_url=f"{url}/auth/token",
            attachments_dir=tmp_path / "attachments",
        )
        async with TICKETS.app(
            settings,
            tickets_connection,
            token_verifier=verifier_of(contracts_app),
            contracts_transport=None if contracts_url else contracts_serial_transport,
        ) as app:
            yield app

    return start


@pytest.fixture
async def tickets_app(start_tickets: TicketsFactory) -> AsyncIterator[FastAPI]:
    async with start_tickets() as app:
        yield app


@pytest.fixture
def start_tickets_gateway(
    gateway_settings: GatewaySettings, contracts_serial_transport: SerialTransport
) -> TicketsGatewayFactory:
    """``async with start_tickets_gateway(tickets_transport, **settings) as client``: a gateway
    over an in-process tickets (a ``SerialTransport``: its requests share one test connection
    too) and the in-process contracts (``contracts_transport`` must keep to the same
    ``contracts_serial_transport``)."""

    @asynccontextmanager
    async def start(
        tickets_transport: httpx.AsyncBaseTransport,
        *,
        contracts_transport: httpx.AsyncBaseTransport | None = None,
        **overrides: Any,
    ) -> AsyncIterator[httpx.AsyncClient]:
        settings = gateway_settings.model_copy(update={"tickets_url": TICKETS_URL, **overrides})
        transports = {
            "contracts": contracts_transport or contracts_serial_transport,
            "tickets": tickets_transport,
        }
        async with GATEWAY.client(settings, transports=transports) as client:
            yield client

    return start


@pytest.fixture
async def gateway_tickets_client(
    start_tickets_gateway: TicketsGatewayFactory, tickets_app: FastAPI
) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway over the in-process tickets and contracts."""
    async with start_tickets_gateway(SerialTransport.to(tickets_app)) as client:
        yield client


# -- the notify service in-process, wired to the in-process contracts -----------------------------

NotifyFactory = Callable[..., AbstractAsyncContextManager[FastAPI]]
NotifyGatewayFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture(scope="session")
async def gateway_notify_database(
    provision_database: ProvisionDatabase,
) -> AsyncIterator[ServiceDatabase]:
    async with NOTIFY.database(provision_database) as database:
        yield database


@pytest.fixture
async def notify_connection(
    gateway_notify_database: ServiceDatabase,
) -> AsyncIterator[AsyncConnection]:
    async with gateway_notify_database.rolled_back() as connection:
        yield connection


@pytest.fixture
def start_notify(
    gateway_notify_database: ServiceDatabase,
    notify_connection: AsyncConnection,
    contracts_app: FastAPI,
    contracts_serial_transport: SerialTransport,
) -> NotifyFactory:
    """``async with start_notify(**settings) as app``: the real notify app on the test's notify
    connection, trusting contracts' tokens, asking the in-process contracts for recipients
    (through the gateway's ``SerialTransport``), posting to loopback targets unless
    ``allow_private_targets=False``. Its delivery worker is ``app.state.delivery_worker``."""

    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[FastAPI]:
        settings = wired_settings(
            NOTIFY,
            gateway_notify_database,
            **{"allow_private_targets": True, "delivery_jitter": 0.0, **overrides},
        )
        async with NOTIFY.app(
            settings,
            notify_connection,
            token_verifier=verifier_of(contracts_app),
            contracts_transport=contracts_serial_transport,
        ) as app:
            yield app

    return start


@pytest.fixture
def start_notify_gateway(
    gateway_settings: GatewaySettings, contracts_serial_transport: SerialTransport
) -> NotifyGatewayFactory:
    """``async with start_notify_gateway(notify_transport) as client``: a gateway over an
    in-process notify (a ``SerialTransport``: its requests share one test connection) and
    the in-process contracts."""

    @asynccontextmanager
    async def start(notify_transport: httpx.AsyncBaseTransport) -> AsyncIterator[httpx.AsyncClient]:
        settings = gateway_settings.model_copy(update={"notify_url": NOTIFY_URL})
        transports = {"contracts": contracts_serial_transport, "notify": notify_transport}
        async with GATEWAY.client(settings, transports=transports) as client:
            yield client

    return start


# -- tickets and the gateway served on loopback, for subscriptions over real sockets -------------

LiveGatewayFactory = Callable[..., AbstractAsyncContextManager[str]]


@pytest.fixture(scope="session")
async def gateway_live_tickets_db_url(provision_database: ProvisionDatabase) -> str:
    """Tickets' own database for live events: committed for real, since NOTIFY is delivered
    on commit (kept for the session; each test opens cases of its own)."""
    return await provision_database("tickets_live", TICKETS.service_dir)


@pytest.fixture
async def live_tickets_url(
    gateway_live_tickets_db_url: str,
    contracts_app: FastAPI,
    contracts_serial_transport: SerialTransport,
    tmp_path: Path,
) -> AsyncIterator[str]:
    """The real tickets app served by uvicorn on 127.0.0.1 (its base URL), on its committed
    database, asking the in-process contracts for entitlement."""
    settings = wired_settings(
        TICKETS,
        gateway_live_tickets_db_url,
        outbox_targets={},
        attachments_dir=tmp_path / "attachments",
    )
    async with (
        TICKETS.app(
            settings,
            token_verifier=verifier_of(contracts_app),
            contracts_transport=contracts_serial_transport,
        ) as app,
        serve_on_loopback(app) as url,
    ):
        yield url


@pytest.fixture
def serve_live_gateway(
    gateway_settings: GatewaySettings,
    live_tickets_url: str,
    contracts_serial_transport: SerialTransport,
) -> LiveGatewayFactory:
    """``async with serve_live_gateway(**settings) as base_url``: the gateway served by uvicorn
    on 127.0.0.1, over the served tickets (a real network hop) and the in-process contracts."""

    @asynccontextmanager
    async def serve(**overrides: Any) -> AsyncIterator[str]:
        settings = gateway_settings.model_copy(
            update={"tickets_url": live_tickets_url, **overrides}
        )
        transports = {"contracts": contracts_serial_transport}
        async with (
            GATEWAY.app(settings, transports=transports) as app,
            serve_on_loopback(app) as url,
        ):
            yield url

    return serve


@pytest.fixture
async def live_gateway_url(serve_live_gateway: LiveGatewayFactory) -> AsyncIterator[str]:
    async with serve_live_gateway() as url:
        yield url
