"""For other pieces' tests: the real contracts service in-process, with the demo data,
inside a transaction that is rolled back afterwards. Never used by the service itself."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from careplane_shared.testing import rolled_back_connection, running_app
from contracts.config import ContractsSettings
from contracts.main import create_app
from contracts.seed import seed_demo

# services/contracts: its alembic.ini and migrations, for provisioning a test database.
SERVICE_DIR = Path(__file__).resolve().parents[2]


def settings_for_tests(database_url: str, keys_dir: Path, **overrides: Any) -> ContractsSettings:
    return ContractsSettings(
        env="test",
        database_url=database_url,
        run_workers=False,
        log_json=False,
        jwt_private_key_file=keys_dir / "jwt.pem",
        license_private_key_file=keys_dir / "license.pem",
        **overrides,
    )


@asynccontextmanager
async def demo_contracts(
    engine: AsyncEngine, settings: ContractsSettings
) -> AsyncIterator[FastAPI]:
    """The running contracts app over the demo data; nothing it writes outlives the block."""
    async with rolled_back_connection(engine) as connection:
        async with AsyncSession(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        ) as session:
            await seed_demo(session)
            await session.commit()
        async with running_app(create_app(settings), connection) as app:
            yield app
