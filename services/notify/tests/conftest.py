from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from careplane_shared.testing import TokenMinter, asgi_client, bearer, password_token
from careplane_shared.testing.pieces import CONTRACTS, NOTIFY, TICKETS
from careplane_shared.testing.plugin import ProvisionDatabase
from careplane_shared.testing.service import ServiceDatabase, verifier_of
from careplane_shared.testing.transport import SerialTransport

# The test modules share notify_testkit.py (plain helpers); importlib mode adds no path.
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(scope="session")
async def notify_database(provision_database: ProvisionDatabase) -> AsyncIterator[ServiceDatabase]:
    async with NOTIFY.database(provision_database) as database:
        yield database


@pytest.fixture(scope="session")
def notify_engine(notify_database: ServiceDatabase) -> AsyncEngine:
    """For the tests of committed data: workers use their own transactions."""
    return notify_database.engine


@pytest.fixture
async def notify_connection(notify_database: ServiceDatabase) -> AsyncIterator[AsyncConnection]:
    async with notify_database.rolled_back() as connection:
        yield connection


@pytest.fixture(scope="session")
def notify_minter() -> TokenMinter:
    return TokenMinter()


@pytest.fixture
async def notify_app(
    notify_database: ServiceDatabase,
    notify_connection: AsyncConnection,
    notify_minter: TokenMinter,
) -> AsyncIterator[FastAPI]:
    """Notify alone: its tokens come from the test's own minter."""
    settings = NOTIFY.settings(notify_database)
    verifier = notify_minter.verifier()
    async with NOTIFY.app(settings, notify_connection, token_verifier=verifier) as app:
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


def notify_settings(database: ServiceDatabase | str, **overrides: Any) -> Any:
    """Delivering to targets on 127.0.0.1 (the tests' own receivers), without jitter; a
    stopping worker cuts its attempts short at once unless a test gives them a drain."""
    return NOTIFY.settings(
        database,
        **{
            "allow_private_targets": True,
            "delivery_jitter": 0.0,
            "delivery_stop_drain_seconds": 0.0,
            **overrides,
        },
    )


async def truncate_notify(engine: AsyncEngine) -> None:
    from sqlalchemy import text

    async with engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {', '.join(NOTIFY_TABLES)} CASCADE"))


@pytest.fixture
async def live_notify(notify_database: ServiceDatabase, notify_minter: TokenMinter):
    """``async with live_notify(**settings) as app``: notify on its real database (committing),
    emptied afterwards; its delivery worker is ``app.state.delivery_worker``."""
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def start(contracts_transport=None, tickets_transport=None, verifier=None, **overrides):
        async with NOTIFY.app(
            notify_settings(notify_database, **overrides),
            token_verifier=verifier or notify_minter.verifier(),
            contracts_transport=contracts_transport,
            tickets_transport=tickets_transport,
        ) as app:
            yield app

    try:
        yield start
    finally:
        await truncate_notify(notify_database.engine)


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
        message.envelope_from = envelope.mail_from
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


@pytest.fixture(scope="session")
async def contracts_database(
    provision_database: ProvisionDatabase,
) -> AsyncIterator[ServiceDatabase]:
    async with CONTRACTS.database(provision_database) as database:
        yield database


@pytest.fixture
async def contracts_app(
    contracts_database: ServiceDatabase, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[FastAPI]:
    """Contracts with the demo data, inside a transaction rolled back after the test."""
    from contracts.testing import demo_contracts, settings_for_tests

    keys = tmp_path_factory.getbasetemp() / "contracts-keys"
    settings = settings_for_tests(contracts_database.url, keys)
    async with demo_contracts(contracts_database.engine, settings) as app:
        yield app


@pytest.fixture
async def demo_contacts(contracts_app: FastAPI) -> dict[str, dict]:
    """The demo contacts by email (with their customer), read through contracts' API."""
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
    async with asgi_client(contracts_app, base_url="http://contracts") as client:
        headers = bearer(await password_token(client, "admin@example.com"))
        [product] = (await client.get("/v1/products", headers=headers)).json()
    return str(product["id"])


@pytest.fixture
def contracts_transport(contracts_app: FastAPI) -> SerialTransport:
    """The in-process contracts app runs on one test connection, which cannot serve two
    requests at once: notify, tickets and the test take turns."""
    return SerialTransport.to(contracts_app)


# -- the real tickets service in-process, for tenancy checks (watchers) -----------------------


@pytest.fixture(scope="session")
async def tickets_database(provision_database: ProvisionDatabase) -> AsyncIterator[ServiceDatabase]:
    async with TICKETS.database(provision_database) as database:
        yield database


@pytest.fixture
async def tickets_app(
    tickets_database: ServiceDatabase,
    contracts_app: FastAPI,
    contracts_transport: SerialTransport,
    tmp_path: Path,
) -> AsyncIterator[FastAPI]:
    """Tickets wired to the real contracts app, inside a transaction rolled back after."""
    settings = TICKETS.settings(
        tickets_database,
        token_url="http://contracts/auth/token",
        attachments_dir=tmp_path / "attachments",
    )
    async with (
        tickets_database.rolled_back() as connection,
        TICKETS.app(
            settings,
            connection,
            token_verifier=verifier_of(contracts_app),
            contracts_transport=contracts_transport,
        ) as app,
    ):
        yield app


@pytest.fixture
async def login(contracts_app: FastAPI):
    """``await login("ana@acme-water.example")`` → Authorization headers of a demo account."""

    async def headers(email: str) -> dict[str, str]:
        async with asgi_client(contracts_app, base_url="http://contracts") as client:
            return bearer(await password_token(client, email))

    return headers
