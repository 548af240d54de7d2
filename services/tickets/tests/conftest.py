from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from careplane_shared.testing import TokenMinter, asgi_client, rolled_back_connection, running_app
from careplane_shared.testing.plugin import ProvisionDatabase
from tickets.config import TicketsSettings
from tickets.main import create_app

SERVICE_DIR = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
async def tickets_db_url(provision_database: ProvisionDatabase) -> str:
    return await provision_database("tickets", SERVICE_DIR)


@pytest.fixture(scope="session")
async def tickets_engine(tickets_db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(tickets_db_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def tickets_connection(tickets_engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with rolled_back_connection(tickets_engine) as connection:
        yield connection


@pytest.fixture(scope="session")
def tickets_minter() -> TokenMinter:
    return TokenMinter()


@pytest.fixture
async def tickets_app(
    tickets_db_url: str, tickets_connection: AsyncConnection, tickets_minter: TokenMinter
) -> AsyncIterator[FastAPI]:
    settings = TicketsSettings(
        env="test", database_url=tickets_db_url, run_workers=False, log_json=False
    )
    app = create_app(settings)
    app.state.token_verifier = tickets_minter.verifier()
    async with running_app(app, tickets_connection) as app:
        yield app


@pytest.fixture
async def tickets_client(tickets_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(tickets_app) as client:
        yield client
