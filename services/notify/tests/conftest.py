from __future__ import annotations

from collections.abc import AsyncIterator
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
