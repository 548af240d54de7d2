"""The shared library is tested inside a real service database (tickets' migrations
carry the outbox, inbox and idempotency tables every service has)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from careplane_shared.testing import TokenMinter
from careplane_shared.testing.plugin import ProvisionDatabase

TICKETS_DIR = Path(__file__).resolve().parents[2] / "tickets"


@pytest.fixture(scope="session")
async def shared_db_url(provision_database: ProvisionDatabase) -> str:
    # Its own database: these tests commit for real (relays and concurrency need it).
    return await provision_database("shared", TICKETS_DIR)


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
