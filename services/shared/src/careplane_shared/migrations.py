"""Async Alembic for every service: the shared ``env.py`` body and a programmatic upgrade."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

URL_OPTION = "sqlalchemy.url"


def alembic_config(service_dir: Path, database_url: str | None = None) -> Config:
    config = Config(str(service_dir / "alembic.ini"))
    config.set_main_option("script_location", str(service_dir / "migrations"))
    if database_url:
        config.set_main_option(URL_OPTION, database_url.replace("%", "%%"))
    return config


def upgrade(service_dir: Path, database_url: str, revision: str = "head") -> None:
    """Applies migrations; call it outside a running event loop (or via ``asyncio.to_thread``)."""
    command.upgrade(alembic_config(service_dir, database_url), revision)


def _run_sync(connection: Connection, metadata: MetaData) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        compare_server_default=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str, metadata: MetaData) -> None:
    engine = create_async_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_sync, metadata)
    finally:
        await engine.dispose()


def run_env(metadata: MetaData, url_env_var: str) -> None:
    """The whole body of a service's ``migrations/env.py``."""
    url = context.config.get_main_option(URL_OPTION) or os.environ.get(url_env_var)
    if not url:
        raise RuntimeError(f"set {url_env_var} (or pass a URL) to run migrations")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_async(url, metadata))
