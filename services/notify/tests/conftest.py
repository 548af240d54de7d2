from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from careplane_shared.testing import TokenMinter, asgi_client, rolled_back_connection, running_app
from careplane_shared.testing.plugin import ProvisionDatabase
from notify.config import NotifySettings
from notify.main import create_app

SERVICE_DIR = Path(__file__).resolve().parents[1]
# The test modules share notify_testkit.py (plain helpers); importlib mode adds no path.
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(scope="session")
async def notify_db_url(provision_database: ProvisionDatabase) -> str:
    return await provision_database("notify", SERVICE_DIR)


@pytest.fixture(scope="session")
async def notify_engine(notify_db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(notify_db_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def notify_connection(notify_engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with rolled_back_connection(notify_engine) as connection:
        yield connection


@pytest.fixture(scope="session")
def notify_minter() -> TokenMinter:
    return TokenMinter()


@pytest.fixture
async def notify_app(
    notify_db_url: str, notify_connection: AsyncConnection, notify_minter: TokenMinter
) -> AsyncIterator[FastAPI]:
    settings = NotifySettings(
        env="test", database_url=notify_db_url, run_workers=False, log_json=False
    )
    app = create_app(settings)
    app.state.token_verifier = notify_minter.verifier()
    async with running_app(app, notify_connection) as app:
        yield app


@pytest.fixture
async def notify_client(notify_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(notify_app) as client:
        yield client


# -- committed data: workers use their own transactions, so these tests commit for real -------

NOTIFY_TABLES = (
    "delivery_attempts",
    "mail_messages",
    "announcement_recipients",
    "maintenance_recipients",
    "maintenance_windows",
    "digest_items",
    "staff_digest_settings",
    "contact_preferences",
    "ticket_watchers",
    "deliveries",
    "webhook_endpoints",
    "chat_channels",
    "announcements",
    "inbox_events",
    "outbox_events",
    "idempotency_keys",
)


def notify_settings(db_url: str, **overrides) -> NotifySettings:
    values = {
        "env": "test",
        "database_url": db_url,
        "run_workers": False,
        "log_json": False,
        "allow_private_targets": True,
        "delivery_jitter": 0.0,
        **overrides,
    }
    return NotifySettings(**values)


async def truncate_notify(engine: AsyncEngine) -> None:
    from sqlalchemy import text

    async with engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {', '.join(NOTIFY_TABLES)} CASCADE"))


@pytest.fixture
async def live_notify(notify_db_url: str, notify_engine: AsyncEngine, notify_minter: TokenMinter):
    """``async with live_notify(**settings) as app``: notify on its real database (committing),
    emptied afterwards; its delivery worker is ``app.state.delivery_worker``."""
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def start(contracts_transport=None, tickets_transport=None, verifier=None, **overrides):
        app = create_app(
            notify_settings(notify_db_url, **overrides),
            contracts_transport=contracts_transport,
            tickets_transport=tickets_transport,
        )
        app.state.token_verifier = verifier or notify_minter.verifier()
        async with running_app(app) as running:
            yield running

    try:
        yield start
    finally:
        await truncate_notify(notify_engine)


class Receiver:
    """A third-party HTTP target on 127.0.0.1: records each request, answers from a script."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.answers: list = []  # each: int status, or (status, headers, body); empty → 200
        self.by_path: dict[str, list] = {}  # scripted answers for one path, before `answers`
        self.default = 200

    def app(self):
        from starlette.applications import Starlette
        from starlette.requests import Request
        from starlette.responses import Response
        from starlette.routing import Route

        async def receive(request: Request) -> Response:
            body = await request.body()
            scripted = self.by_path.get(request.url.path)
            if scripted:
                answer = scripted.pop(0)
            else:
                answer = self.answers.pop(0) if self.answers else self.default
            if callable(answer):
                answer = answer(body)
            status, headers, content = (answer, {}, b"") if isinstance(answer, int) else answer
            self.requests.append(
                {
                    "path": request.url.path,
                    "query": dict(request.query_params),
                    "headers": dict(request.headers),
                    "body": body,
                    "status": status,
                }
            )
            return Response(content, status_code=status, headers=headers)

        return Starlette(routes=[Route("/{path:path}", receive, methods=["POST"])])


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    from careplane_shared.testing import serve_on_loopback

    target = Receiver()
    async with serve_on_loopback(target.app()) as url:
        yield target, url


class SmtpInbox:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 keeping what it receives."""

    def __init__(self) -> None:
        import email
        import email.policy

        self._parse = lambda raw: email.message_from_bytes(raw, policy=email.policy.default)
        self.messages: list = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = self._parse(envelope.original_content)
        message.envelope_to = list(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted"


@pytest.fixture
def smtp_server() -> Iterator[tuple[SmtpInbox, int]]:
    from aiosmtpd.controller import Controller

    from careplane_shared.testing.ports import free_port

    inbox = SmtpInbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


# -- the real contracts service in-process, for recipients ------------------------------------

CONTRACTS_DIR = SERVICE_DIR.parent / "contracts"  # its migrations


@pytest.fixture(scope="session")
async def contracts_db_url(provision_database: ProvisionDatabase) -> str:
    return await provision_database("contracts", CONTRACTS_DIR)


@pytest.fixture(scope="session")
async def contracts_engine(contracts_db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(contracts_db_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def contracts_app(
    contracts_db_url: str, contracts_engine: AsyncEngine, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[FastAPI]:
    """Contracts with the demo data, inside a transaction rolled back after the test."""
    from contracts.testing import demo_contracts, settings_for_tests

    keys = tmp_path_factory.getbasetemp() / "contracts-keys"
    async with demo_contracts(contracts_engine, settings_for_tests(contracts_db_url, keys)) as app:
        yield app


@pytest.fixture
async def demo_contacts(contracts_app: FastAPI) -> dict[str, dict]:
    """The demo contacts by email (with their customer), read through contracts' API."""
    from careplane_shared.testing import bearer, password_token

    async with asgi_client(contracts_app, base_url="http://contracts") as client:
        headers = bearer(await password_token(client, "admin@example.com"))
        customers = (await client.get("/v1/customers", headers=headers)).json()["items"]
        contacts: dict[str, dict] = {}
        for customer in customers:
            answer = await client.get(f"/v1/customers/{customer['id']}/contacts", headers=headers)
            for contact in answer.json()["items"]:
                contacts[contact["email"]] = {**contact, "customer": customer}
    return contacts


@pytest.fixture
async def tideway(contracts_app: FastAPI) -> str:
    """The demo product's id, read through contracts' API."""
    from careplane_shared.testing import bearer, password_token

    async with asgi_client(contracts_app, base_url="http://contracts") as client:
        headers = bearer(await password_token(client, "admin@example.com"))
        [product] = (await client.get("/v1/products", headers=headers)).json()
    return str(product["id"])


class SerialTransport(httpx.AsyncBaseTransport):
    """The in-process contracts app runs on one test connection, which cannot serve two
    requests at once: this transport lets one through at a time."""

    def __init__(self, app: FastAPI) -> None:
        import asyncio

        self.inner = httpx.ASGITransport(app=app)
        self.lock = asyncio.Lock()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        async with self.lock:
            response = await self.inner.handle_async_request(request)
            await response.aread()
            return response


@pytest.fixture
def contracts_transport(contracts_app: FastAPI) -> SerialTransport:
    return SerialTransport(contracts_app)


# -- the real tickets service in-process, for tenancy checks (watchers) -----------------------

TICKETS_DIR = SERVICE_DIR.parent / "tickets"


class EitherVerifier:
    """Accepts the test minter's tokens (services posting events) and contracts' own (people
    who logged in), as a deployment whose gateway and services share one issuer would."""

    def __init__(self, *verifiers) -> None:
        self.verifiers = verifiers

    async def verify(self, token: str):
        from careplane_shared.errors import Unauthenticated

        for verifier in self.verifiers[:-1]:
            try:
                return await verifier.verify(token)
            except Unauthenticated:
                continue
        return await self.verifiers[-1].verify(token)


def contracts_verifier(contracts_app: FastAPI):
    from careplane_shared.auth import StaticKeySource, TokenVerifier

    return TokenVerifier(
        StaticKeySource(contracts_app.state.signing_key.jwks),
        issuer="careplane",
        audience="careplane",
    )


@pytest.fixture(scope="session")
async def tickets_db_url(provision_database: ProvisionDatabase) -> str:
    return await provision_database("tickets", TICKETS_DIR)


@pytest.fixture(scope="session")
async def tickets_engine(tickets_db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(tickets_db_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def tickets_app(
    tickets_db_url: str,
    tickets_engine: AsyncEngine,
    contracts_app: FastAPI,
    contracts_transport: SerialTransport,
    tmp_path: Path,
) -> AsyncIterator[FastAPI]:
    """Tickets wired to the real contracts app, inside a transaction rolled back after."""
    from tickets.config import TicketsSettings
    from tickets.main import create_app as create_tickets_app

    settings = TicketsSettings(
        env="test",
        database_url=tickets_db_url,
        run_workers=False,
        log_json=False,
        token_url="http://contracts/auth/token",
        attachments_dir=tmp_path / "attachments",
    )
    app = create_tickets_app(settings, contracts_transport=contracts_transport)
    app.state.token_verifier = contracts_verifier(contracts_app)
    async with (
        rolled_back_connection(tickets_engine) as connection,
        running_app(app, connection) as running,
    ):
        yield running


@pytest.fixture
async def login(contracts_app: FastAPI):
    """``await login("ana@acme-water.example")`` → Authorization headers of a demo account."""
    from careplane_shared.testing import bearer, password_token

    async def headers(email: str) -> dict[str, str]:
        async with asgi_client(contracts_app, base_url="http://contracts") as client:
            return bearer(await password_token(client, email))

    return headers
