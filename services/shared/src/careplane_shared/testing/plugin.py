"""pytest plugin: a real PostgreSQL for the whole run, one migrated database per service per worker.

The server comes from ``CAREPLANE_TEST_DATABASE_URL`` (any PostgreSQL the tests may
create databases on) or, when that is unset, an embedded server under
``.data/test-pg`` started by the controlling process and stopped at the end. The
embedded server is the development runner's (``careplane_devrun``, a workspace member no
image installs): this library does not depend on it, only a test run without a server does.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from careplane_shared.migrations import upgrade

ENV_URL = "CAREPLANE_TEST_DATABASE_URL"
TEST_PORT = 54339
_EMBEDDED_KEY = pytest.StashKey[object]()


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


# Settings default to production; every piece built by a test without an explicit env
# runs in the test profile (dev secrets accepted, nothing leaves the machine).
_PIECE_PREFIXES = ("CAREPLANE_", "TICKETS_", "CONTRACTS_", "NOTIFY_", "GATEWAY_")


def pytest_configure(config: pytest.Config) -> None:
    for prefix in _PIECE_PREFIXES:
        os.environ.setdefault(f"{prefix}ENV", "test")
    if _is_worker(config) or os.environ.get(ENV_URL):
        return
    try:
        from careplane_devrun.embedded_pg import EmbeddedPostgres
    except ImportError as exc:
        raise pytest.UsageError(
            f"set {ENV_URL} to a PostgreSQL the tests may create databases on, or install the "
            f"development tools (`make install`) for an embedded one: {exc}"
        ) from exc

    # Its own preferred port, apart from `make run`'s, so the two never meet.
    server = EmbeddedPostgres(
        Path(config.rootpath) / ".data" / "test-pg", port=TEST_PORT, fast_unsafe=True
    )
    os.environ[ENV_URL] = server.start()
    config.stash[_EMBEDDED_KEY] = server


def pytest_unconfigure(config: pytest.Config) -> None:
    server = config.stash.get(_EMBEDDED_KEY, None)
    if server is not None:
        os.environ.pop(ENV_URL, None)
        # Another run on this machine may have started it and still be using it.
        if server.started_here:  # type: ignore[attr-defined]
            server.stop()  # type: ignore[attr-defined]


def admin_dsn() -> str:
    """A plain libpq URL of the test server's maintenance database."""
    url = make_url(os.environ[ENV_URL]).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def database_url(name: str, driver: str = "postgresql+asyncpg") -> str:
    url = make_url(os.environ[ENV_URL]).set(drivername=driver, database=name)
    return url.render_as_string(hide_password=False)


async def recreate_database(name: str) -> None:
    connection = await asyncpg.connect(admin_dsn())
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


ProvisionDatabase = Callable[[str, Path], Awaitable[str]]


@pytest.fixture(scope="session")
def worker_id_suffix(request: pytest.FixtureRequest) -> str:
    workerinput = getattr(request.config, "workerinput", None)
    return workerinput["workerid"] if workerinput else "main"


async def drop_database(name: str) -> None:
    connection = await asyncpg.connect(admin_dsn())
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest.fixture(scope="session")
async def provision_database(worker_id_suffix: str) -> AsyncIterator[ProvisionDatabase]:
    """``await provision_database("tickets", SERVICE_DIR)`` → URL of a fresh, migrated database,
    one per service per test process (the pid keeps concurrent runs apart); dropped at the end."""
    created: dict[str, str] = {}

    async def provision(service: str, service_dir: Path) -> str:
        if service not in created:
            name = f"test_{service}_{worker_id_suffix}_{os.getpid()}"
            await recreate_database(name)
            url = database_url(name)
            await asyncio.to_thread(upgrade, service_dir, url)
            created[service] = name
        return database_url(created[service])

    yield provision
    for name in created.values():
        await drop_database(name)
