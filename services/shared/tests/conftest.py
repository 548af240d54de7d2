"""The shared library is tested on an example service of its own: a database holding only
the tables every service has (outbox, inbox, idempotency keys), created from the library's
table factories, and a minimal app whose inbox records every event it receives. No
Careplane service is imported here."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

import pytest
from fastapi import FastAPI
from sqlalchemy import MetaData, Table, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from careplane_shared.app import create_service_app
from careplane_shared.db import new_metadata
from careplane_shared.events import Inbox, inbox_router, inbox_table, outbox_table
from careplane_shared.idempotency import idempotency_table
from careplane_shared.settings import DatabaseSettings
from careplane_shared.testing import TokenMinter
from careplane_shared.testing.plugin import database_url, drop_database, recreate_database


@dataclass(frozen=True)
class ServiceTables:
    metadata: MetaData
    outbox: Table
    inbox: Table
    idempotency: Table


def _service_tables() -> ServiceTables:
    metadata = new_metadata()
    return ServiceTables(
        metadata=metadata,
        outbox=outbox_table(metadata),
        inbox=inbox_table(metadata),
        idempotency=idempotency_table(metadata),
    )


TABLES = _service_tables()


class ExampleService(Protocol):
    def __call__(
        self, database: str, minter: TokenMinter, *, inbox: Inbox | None = None
    ) -> FastAPI: ...


@pytest.fixture(scope="session")
def tables() -> ServiceTables:
    return TABLES


@pytest.fixture(scope="session")
async def shared_db_url(worker_id_suffix: str) -> AsyncIterator[str]:
    # Its own database: these tests commit for real (relays and concurrency need it).
    name = f"test_shared_{worker_id_suffix}_{os.getpid()}"
    await recreate_database(name)
    url = database_url(name)
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(TABLES.metadata.create_all)
    finally:
        await engine.dispose()
    yield url
    await drop_database(name)


@pytest.fixture
async def shared_engine(shared_db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(shared_db_url)
    yield engine
    async with engine.begin() as connection:
        await connection.execute(text("TRUNCATE outbox_events, inbox_events, idempotency_keys"))
    await engine.dispose()


@pytest.fixture(scope="session")
def minter() -> TokenMinter:
    return TokenMinter()


def _example_service(database: str, minter: TokenMinter, *, inbox: Inbox | None = None) -> FastAPI:
    settings = DatabaseSettings(
        env="test",
        service_name="example",
        database_url=database,
        run_workers=False,
        log_json=False,
    )
    app = create_service_app(
        settings,
        title="example",
        description="A service with an inbox that records every event it receives.",
        routers=[inbox_router(inbox or Inbox(TABLES.inbox))],
    )
    app.state.token_verifier = minter.verifier()
    return app


@pytest.fixture(scope="session")
def example_service() -> ExampleService:
    """``example_service(database_url, minter)`` → a minimal service app on that database;
    ``inbox=`` gives it an inbox with handlers of the test's own."""
    return _example_service
