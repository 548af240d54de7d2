from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, create_async_engine

from careplane_shared.testing import asgi_client, rolled_back_connection, running_app
from careplane_shared.testing.plugin import ProvisionDatabase
from contracts.config import ContractsSettings
from contracts.main import create_app

SERVICE_DIR = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
async def contracts_db_url(provision_database: ProvisionDatabase) -> str:
    return await provision_database("contracts", SERVICE_DIR)


@pytest.fixture(scope="session")
async def contracts_engine(contracts_db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(contracts_db_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(contracts_engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with rolled_back_connection(contracts_engine) as connection:
        yield connection


@pytest.fixture
async def session(connection: AsyncConnection) -> AsyncIterator[AsyncSession]:
    async with AsyncSession(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    ) as session:
        yield session


@pytest.fixture(scope="session")
def contracts_settings(
    contracts_db_url: str, tmp_path_factory: pytest.TempPathFactory
) -> ContractsSettings:
    return ContractsSettings(
        env="test",
        database_url=contracts_db_url,
        run_workers=False,
        log_json=False,
        jwt_private_key_file=tmp_path_factory.mktemp("keys") / "jwt.pem",
    )


@pytest.fixture
async def app(
    contracts_settings: ContractsSettings, connection: AsyncConnection
) -> AsyncIterator[FastAPI]:
    async with running_app(create_app(contracts_settings), connection) as app:
        yield app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(app) as client:
        yield client


@pytest.fixture
async def staff(session: AsyncSession) -> dict[str, str]:
    """The demo staff accounts (password ``careplane``), inside the test's transaction."""
    from contracts.seed import STAFF, seed_staff

    await seed_staff(session)
    await session.commit()
    return {role: email for email, _, role in STAFF}


@pytest.fixture
async def demo(session: AsyncSession) -> None:
    """The whole demo data set of DOMAIN.md section 5, inside the test's transaction."""
    from contracts.seed import seed_demo

    await seed_demo(session)
    await session.commit()
