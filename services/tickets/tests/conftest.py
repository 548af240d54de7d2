from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection

from careplane_shared.testing import TokenMinter, asgi_client, bearer, password_token
from careplane_shared.testing.pieces import CONTRACTS, TICKETS
from careplane_shared.testing.plugin import ProvisionDatabase
from careplane_shared.testing.service import ServiceDatabase, verifier_of
from careplane_shared.testing.transport import RecordingTransport

# Test modules share plain helper modules (ideas_testkit.py); importlib mode adds no path.
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(scope="session")
async def tickets_database(provision_database: ProvisionDatabase) -> AsyncIterator[ServiceDatabase]:
    async with TICKETS.database(provision_database) as database:
        yield database


@pytest.fixture(scope="session")
async def committed_database(
    provision_database: ProvisionDatabase,
) -> AsyncIterator[ServiceDatabase]:
    """A tickets database of its own for tests whose app commits for real (a real process,
    workers stopped mid-batch); a test clears the rows it counts."""
    async with TICKETS.database(provision_database, name="tickets_committed") as database:
        yield database


@pytest.fixture
async def tickets_connection(tickets_database: ServiceDatabase) -> AsyncIterator[AsyncConnection]:
    async with tickets_database.rolled_back() as connection:
        yield connection


@pytest.fixture(scope="session")
def tickets_minter() -> TokenMinter:
    return TokenMinter()


@pytest.fixture
async def tickets_app(
    tickets_database: ServiceDatabase,
    tickets_connection: AsyncConnection,
    tickets_minter: TokenMinter,
) -> AsyncIterator[FastAPI]:
    """Tickets alone: its tokens come from the test's own minter."""
    settings = TICKETS.settings(tickets_database)
    verifier = tickets_minter.verifier()
    async with TICKETS.app(settings, tickets_connection, token_verifier=verifier) as app:
        yield app


@pytest.fixture
async def tickets_client(tickets_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(tickets_app) as client:
        yield client


# -- the real contracts service in-process, for cases that need entitlement -------------------


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

    settings = settings_for_tests(
        contracts_database.url, tmp_path_factory.getbasetemp() / "contracts-keys"
    )
    async with demo_contracts(contracts_database.engine, settings) as app:
        yield app


@pytest.fixture
async def contracts_client(contracts_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(contracts_app, base_url="http://contracts") as client:
        yield client


@pytest.fixture
def contracts_transport(contracts_app: FastAPI) -> RecordingTransport:
    """The way tickets reaches the in-process contracts app, recording every call: how many
    calls tickets makes to contracts, and with what."""
    return RecordingTransport.to(contracts_app)


def live_settings(database: ServiceDatabase, **overrides: Any) -> Any:
    """Tickets asking the in-process contracts (``http://contracts``) for its token."""
    return TICKETS.settings(
        database,
        token_url="http://contracts/auth/token",
        attachment_max_bytes=64 * 1024,
        **overrides,
    )


@pytest.fixture
async def live_app(
    tickets_database: ServiceDatabase,
    tickets_connection: AsyncConnection,
    contracts_app: FastAPI,
    contracts_transport: RecordingTransport,
    tmp_path: Path,
) -> AsyncIterator[FastAPI]:
    """Tickets wired to the real contracts app: entitlement checks, tokens and keys."""
    settings = live_settings(tickets_database, attachments_dir=tmp_path / "attachments")
    async with TICKETS.app(
        settings,
        tickets_connection,
        token_verifier=verifier_of(contracts_app),
        contracts_transport=contracts_transport,
    ) as app:
        yield app


@pytest.fixture
async def live(live_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(live_app, base_url="http://tickets") as client:
        yield client


@pytest.fixture
async def login(contracts_client: httpx.AsyncClient):
    """``await login("ana@acme-water.example")`` → Authorization headers of a demo account."""

    async def headers(email: str) -> dict[str, str]:
        return bearer(await password_token(contracts_client, email))

    return headers


@pytest.fixture
async def demo_ids(contracts_client: httpx.AsyncClient, login) -> dict[str, str]:
    """Ids of the demo product and contacts, looked up through contracts' API."""
    headers = await login("admin@example.com")
    product = (await contracts_client.get("/v1/products", headers=headers)).json()[0]["id"]
    ids = {"tideway": product}
    customers = (await contracts_client.get("/v1/customers", headers=headers)).json()["items"]
    for customer in customers:
        ids[customer["name"]] = customer["id"]
        contacts = await contracts_client.get(
            f"/v1/customers/{customer['id']}/contacts", headers=headers
        )
        for contact in contacts.json()["items"]:
            ids[contact["email"]] = contact["id"]
    return ids


# -- attachments on S3-compatible storage: a real S3 server (moto) on 127.0.0.1 ---------------

S3_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
async def s3_client(s3_endpoint: str) -> AsyncIterator[Any]:
    """A client of the test's own, to prepare and inspect the bucket."""
    from aiobotocore.session import get_session

    async with get_session().create_client(
        "s3", region_name="us-east-1", endpoint_url=s3_endpoint, **S3_CREDENTIALS
    ) as client:
        yield client


@pytest.fixture
async def s3_bucket(s3_client: Any) -> str:
    """A fresh, empty bucket for each test."""
    import uuid

    name = f"careplane-{uuid.uuid4().hex[:16]}"
    await s3_client.create_bucket(Bucket=name)
    return name


@pytest.fixture
async def s3_live_app(
    tickets_database: ServiceDatabase,
    tickets_connection: AsyncConnection,
    contracts_app: FastAPI,
    s3_endpoint: str,
    s3_bucket: str,
) -> AsyncIterator[FastAPI]:
    """``live_app`` with its attachments on S3 (parts of 5 MiB, the smallest S3 allows)."""
    settings = live_settings(
        tickets_database,
        attachment_storage="s3",
        s3_endpoint_url=s3_endpoint,
        s3_bucket=s3_bucket,
        s3_region="us-east-1",
        s3_access_key_id=S3_CREDENTIALS["aws_access_key_id"],
        s3_secret_access_key=S3_CREDENTIALS["aws_secret_access_key"],
        s3_prefix="attachments/",
        s3_part_size=5 * 1024 * 1024,
    )
    async with TICKETS.app(
        settings,
        tickets_connection,
        token_verifier=verifier_of(contracts_app),
        contracts_transport=httpx.ASGITransport(app=contracts_app),
    ) as app:
        yield app


@pytest.fixture
async def s3_live(s3_live_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(s3_live_app, base_url="http://tickets") as client:
        yield client
