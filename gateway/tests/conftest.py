"""The gateway in front of the real contracts service, in-process, on real PostgreSQL.

Fixture names carry ``gateway_`` or ``contracts_`` so they cannot be mistaken for the
contracts suite's own fixtures of similar purpose.
"""

from __future__ import annotations

import asyncio
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
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, create_async_engine

import contracts
import notify
import tickets
from careplane_gateway.config import GatewaySettings
from careplane_gateway.main import create_app
from careplane_shared.auth import StaticKeySource, TokenVerifier
from careplane_shared.testing import (
    asgi_client,
    rolled_back_connection,
    running_app,
    serve_on_loopback,
)
from careplane_shared.testing.plugin import ProvisionDatabase
from contracts.config import ContractsSettings
from contracts.identity.secrets import hash_password
from contracts.main import create_app as create_contracts_app
from contracts.models import Contact, Customer, Plan, Product, StaffUser
from contracts.seed import DEMO_PASSWORD, STAFF, seed_demo
from notify.config import NotifySettings
from notify.main import create_app as create_notify_app
from tickets.config import TicketsSettings
from tickets.main import create_app as create_tickets_app

CONTRACTS_DIR = Path(contracts.__file__).resolve().parents[2]
# Only the in-process transport answers here; the name never reaches a network.
CONTRACTS_URL = "http://contracts.internal"

GatewayFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture(scope="session")
async def gateway_contracts_db_url(provision_database: ProvisionDatabase) -> str:
    return await provision_database("contracts", CONTRACTS_DIR)


@pytest.fixture(scope="session")
async def gateway_contracts_engine(gateway_contracts_db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(gateway_contracts_db_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def contracts_connection(
    gateway_contracts_engine: AsyncEngine,
) -> AsyncIterator[AsyncConnection]:
    async with rolled_back_connection(gateway_contracts_engine) as connection:
        yield connection


@pytest.fixture(scope="session")
def gateway_contracts_settings(
    gateway_contracts_db_url: str, tmp_path_factory: pytest.TempPathFactory
) -> ContractsSettings:
    return ContractsSettings(
        env="test",
        database_url=gateway_contracts_db_url,
        run_workers=False,
        log_json=False,
        jwt_private_key_file=tmp_path_factory.mktemp("gateway-keys") / "jwt.pem",
    )


@pytest.fixture
async def contracts_app(
    gateway_contracts_settings: ContractsSettings, contracts_connection: AsyncConnection
) -> AsyncIterator[FastAPI]:
    app = create_contracts_app(gateway_contracts_settings)
    async with running_app(app, contracts_connection) as app:
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
    return GatewaySettings(
        env="test",
        log_json=False,
        contracts_url=CONTRACTS_URL,
        tickets_url=unreachable_url,
        notify_url=unreachable_url,
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
        settings = gateway_settings.model_copy(update=overrides)
        if contracts_transport is ...:
            contracts_transport = httpx.ASGITransport(app=contracts_app)
        transports = {"contracts": contracts_transport} if contracts_transport else {}
        app = create_app(settings, transports=transports)
        if token_verifier is not None:
            app.state.token_verifier = token_verifier
        async with running_app(app), asgi_client(app) as client:
            yield client

    return start


@pytest.fixture
def contracts_keys(contracts_app: FastAPI) -> TokenVerifier:
    """A verifier that knows contracts' keys without asking it (for a gateway that cannot
    reach contracts but must still verify tokens)."""
    return TokenVerifier(
        StaticKeySource(contracts_app.state.signing_key.jwks),
        issuer="careplane",
        audience="careplane",
    )


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


class OneAtATime(httpx.AsyncBaseTransport):
    """Hands requests to the in-process service one at a time.

    In these tests every contracts request runs on the test's one connection, as a savepoint
    of its rolled-back transaction; the gateway resolves fields concurrently, and two requests
    at once would interleave their savepoints on that connection. A real deployment gives each
    request its own connection, so only the tests need this."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.lock = asyncio.Lock()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        # The ASGI transport returns once the app has answered in full: its work is done.
        async with self.lock:
            return await self.inner.handle_async_request(request)


@pytest.fixture
def contracts_serial_transport(contracts_app: FastAPI) -> OneAtATime:
    return OneAtATime(httpx.ASGITransport(app=contracts_app))


@pytest.fixture
async def gateway_serial_client(
    start_gateway: GatewayFactory, contracts_serial_transport: OneAtATime
) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway whose in-process contracts answers one request at a time (``OneAtATime``):
    for queries whose fields reach contracts concurrently."""
    async with start_gateway(contracts_transport=contracts_serial_transport) as client:
        yield client


# -- the tickets service in-process, wired to the in-process contracts ----------------------------

TICKETS_DIR = Path(tickets.__file__).resolve().parents[2]
# Only the in-process transport answers here; the name never reaches a network.
TICKETS_URL = "http://tickets.internal"

TicketsFactory = Callable[..., AbstractAsyncContextManager[FastAPI]]
TicketsGatewayFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture(scope="session")
async def gateway_tickets_db_url(provision_database: ProvisionDatabase) -> str:
    return await provision_database("tickets", TICKETS_DIR)


@pytest.fixture(scope="session")
async def gateway_tickets_engine(gateway_tickets_db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(gateway_tickets_db_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def tickets_connection(gateway_tickets_engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with rolled_back_connection(gateway_tickets_engine) as connection:
        yield connection


@pytest.fixture
def start_tickets(
    gateway_tickets_db_url: str,
    tickets_connection: AsyncConnection,
    contracts_app: FastAPI,
    contracts_serial_transport: OneAtATime,
    tmp_path: Path,
) -> TicketsFactory:
    """``async with start_tickets() as app``: the real tickets app on the test's tickets
    connection, trusting contracts' tokens and asking the in-process contracts for
    entitlement. Its calls share the gateway's ``OneAtATime`` lock on contracts, since every
    contracts request runs on the one test connection. ``contracts_url`` sends them over the
    network there instead (e.g. to a port nothing listens on)."""

    @asynccontextmanager
    async def start(*, contracts_url: str | None = None) -> AsyncIterator[FastAPI]:
        url = contracts_url or CONTRACTS_URL
        settings = TicketsSettings(
            env="test",
            database_url=gateway_tickets_db_url,
            run_workers=False,
            log_json=False,
            http_retries=0,
            contracts_url=url,
            token_url=f"{url}/auth/token",
            attachments_dir=tmp_path / "attachments",
        )
        app = create_tickets_app(
            settings, contracts_transport=None if contracts_url else contracts_serial_transport
        )
        app.state.token_verifier = TokenVerifier(
            StaticKeySource(contracts_app.state.signing_key.jwks),
            issuer="careplane",
            audience="careplane",
        )
        async with running_app(app, tickets_connection) as running:
            yield running

    return start


@pytest.fixture
async def tickets_app(start_tickets: TicketsFactory) -> AsyncIterator[FastAPI]:
    async with start_tickets() as app:
        yield app


@pytest.fixture
def start_tickets_gateway(
    gateway_settings: GatewaySettings, contracts_serial_transport: OneAtATime
) -> TicketsGatewayFactory:
    """``async with start_tickets_gateway(tickets_transport, **settings) as client``: a gateway
    over an in-process tickets (wrap it in ``OneAtATime``: its requests share one test
    connection too) and the in-process contracts (``contracts_transport`` must keep to the
    same lock)."""

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
        app = create_app(settings, transports=transports)
        async with running_app(app), asgi_client(app) as client:
            yield client

    return start


@pytest.fixture
async def gateway_tickets_client(
    start_tickets_gateway: TicketsGatewayFactory, tickets_app: FastAPI
) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway over the in-process tickets and contracts."""
    async with start_tickets_gateway(OneAtATime(httpx.ASGITransport(app=tickets_app))) as client:
        yield client


# -- the notify service in-process, wired to the in-process contracts -----------------------------

NOTIFY_DIR = Path(notify.__file__).resolve().parents[2]
# Only the in-process transport answers here; the name never reaches a network.
NOTIFY_URL = "http://notify.internal"

NotifyFactory = Callable[..., AbstractAsyncContextManager[FastAPI]]
NotifyGatewayFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture(scope="session")
async def gateway_notify_db_url(provision_database: ProvisionDatabase) -> str:
    return await provision_database("notify", NOTIFY_DIR)


@pytest.fixture(scope="session")
async def gateway_notify_engine(gateway_notify_db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(gateway_notify_db_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def notify_connection(gateway_notify_engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with rolled_back_connection(gateway_notify_engine) as connection:
        yield connection


@pytest.fixture
def start_notify(
    gateway_notify_db_url: str,
    notify_connection: AsyncConnection,
    contracts_app: FastAPI,
    contracts_serial_transport: OneAtATime,
) -> NotifyFactory:
    """``async with start_notify(**settings) as app``: the real notify app on the test's notify
    connection, trusting contracts' tokens, asking the in-process contracts for recipients
    (through the gateway's ``OneAtATime`` lock), posting to loopback targets unless
    ``allow_private_targets=False``. Its delivery worker is ``app.state.delivery_worker``."""

    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[FastAPI]:
        values: dict[str, Any] = {
            "env": "test",
            "database_url": gateway_notify_db_url,
            "run_workers": False,
            "log_json": False,
            "http_retries": 0,
            "allow_private_targets": True,
            "delivery_jitter": 0.0,
            "contracts_url": CONTRACTS_URL,
            "token_url": f"{CONTRACTS_URL}/auth/token",
            **overrides,
        }
        app = create_notify_app(
            NotifySettings(**values), contracts_transport=contracts_serial_transport
        )
        app.state.token_verifier = TokenVerifier(
            StaticKeySource(contracts_app.state.signing_key.jwks),
            issuer="careplane",
            audience="careplane",
        )
        async with running_app(app, notify_connection) as running:
            yield running

    return start


@pytest.fixture
def start_notify_gateway(
    gateway_settings: GatewaySettings, contracts_serial_transport: OneAtATime
) -> NotifyGatewayFactory:
    """``async with start_notify_gateway(notify_transport) as client``: a gateway over an
    in-process notify (wrap it in ``OneAtATime``: its requests share one test connection) and
    the in-process contracts."""

    @asynccontextmanager
    async def start(notify_transport: httpx.AsyncBaseTransport) -> AsyncIterator[httpx.AsyncClient]:
        settings = gateway_settings.model_copy(update={"notify_url": NOTIFY_URL})
        transports = {"contracts": contracts_serial_transport, "notify": notify_transport}
        app = create_app(settings, transports=transports)
        async with running_app(app), asgi_client(app) as client:
            yield client

    return start


# -- tickets and the gateway served on loopback, for subscriptions over real sockets -------------

LiveGatewayFactory = Callable[..., AbstractAsyncContextManager[str]]


@pytest.fixture(scope="session")
async def gateway_live_tickets_db_url(provision_database: ProvisionDatabase) -> str:
    """Tickets' own database for live events: committed for real, since NOTIFY is delivered
    on commit (kept for the session; each test opens cases of its own)."""
    return await provision_database("tickets_live", TICKETS_DIR)


@pytest.fixture
async def live_tickets_url(
    gateway_live_tickets_db_url: str,
    contracts_app: FastAPI,
    contracts_serial_transport: OneAtATime,
    tmp_path: Path,
) -> AsyncIterator[str]:
    """The real tickets app served by uvicorn on 127.0.0.1 (its base URL), on its committed
    database, asking the in-process contracts for entitlement."""
    settings = TicketsSettings(
        env="test",
        database_url=gateway_live_tickets_db_url,
        run_workers=False,
        log_json=False,
        http_retries=0,
        outbox_targets={},
        contracts_url=CONTRACTS_URL,
        token_url=f"{CONTRACTS_URL}/auth/token",
        attachments_dir=tmp_path / "attachments",
    )
    app = create_tickets_app(settings, contracts_transport=contracts_serial_transport)
    app.state.token_verifier = TokenVerifier(
        StaticKeySource(contracts_app.state.signing_key.jwks),
        issuer="careplane",
        audience="careplane",
    )
    async with running_app(app), serve_on_loopback(app) as url:
        yield url


@pytest.fixture
def serve_live_gateway(
    gateway_settings: GatewaySettings,
    live_tickets_url: str,
    contracts_serial_transport: OneAtATime,
) -> LiveGatewayFactory:
    """``async with serve_live_gateway(**settings) as base_url``: the gateway served by uvicorn
    on 127.0.0.1, over the served tickets (a real network hop) and the in-process contracts."""

    @asynccontextmanager
    async def serve(**overrides: Any) -> AsyncIterator[str]:
        settings = gateway_settings.model_copy(
            update={"tickets_url": live_tickets_url, **overrides}
        )
        app = create_app(settings, transports={"contracts": contracts_serial_transport})
        async with running_app(app), serve_on_loopback(app) as url:
            yield url

    return serve


@pytest.fixture
async def live_gateway_url(serve_live_gateway: LiveGatewayFactory) -> AsyncIterator[str]:
    async with serve_live_gateway() as url:
        yield url
