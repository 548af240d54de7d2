"""PostgreSQL for the runner: a URL and an existing database per service (given in the
environment or on the embedded server), migrations applied, and the lock that makes one
runner at a time own a data folder."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import signal
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any, TypeVar

import asyncpg
from sqlalchemy.engine import URL, make_url

from careplane_devrun.console import Console, log_label
from careplane_devrun.embedded_pg import DEFAULT_PORT, EmbeddedPostgres
from careplane_devrun.layout import HOST, DevRunError, Layout, elapsed, int_env
from careplane_shared.migrations import upgrade

T = TypeVar("T")


def database_env(service: str) -> str:
    return f"{service.upper()}_DATABASE_URL"


def asyncpg_url(url: str | URL) -> str:
    """The SQLAlchemy URL the services and Alembic use (asyncpg driver)."""
    parsed = make_url(url) if isinstance(url, str) else url
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def _libpq_dsn(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _display_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def ensure_database(url: str) -> bool:
    """Creates the database the URL names if it does not exist yet; True if it created it."""
    target = make_url(url)
    name = target.database
    if not name:
        raise DevRunError(f"{_display_url(url)} names no database")
    try:
        connection = await asyncpg.connect(_libpq_dsn(target), timeout=10)
    except asyncpg.InvalidCatalogNameError:
        pass
    except (OSError, asyncpg.PostgresError) as exc:
        raise DevRunError(f"cannot connect to {_display_url(url)}: {exc}") from exc
    else:
        await connection.close()
        return False
    maintenance = _libpq_dsn(target.set(database="postgres"))
    try:
        admin = await asyncpg.connect(maintenance, timeout=10)
        try:
            await admin.execute(f"CREATE DATABASE {_quote_identifier(name)}")
        finally:
            await admin.close()
    except asyncpg.DuplicateDatabaseError:
        return False
    except (OSError, asyncpg.PostgresError) as exc:
        raise DevRunError(f"cannot create database {name!r}: {exc}") from exc
    return True


def _start_embedded(server: EmbeddedPostgres) -> str:
    with warnings.catch_warnings():
        # pgserver warns at import about a runtime folder it does not need here.
        warnings.simplefilter("ignore")
        return server.start()


async def in_thread(function: Callable[..., T], *args: Any) -> T:
    """Blocking work in a thread. When cancelled, it still waits for the work to end, so
    cleanup never races a half-started server or a half-applied migration."""
    task = asyncio.ensure_future(asyncio.to_thread(function, *args))
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await task
        raise


@dataclass
class Databases:
    urls: dict[str, str]
    embedded: EmbeddedPostgres | None = None


async def provide_databases(
    services: Sequence[str],
    layout: Layout,
    environ: Mapping[str, str],
    console: Console,
    stack: AsyncExitStack,
    *,
    owns_data: bool,
) -> Databases:
    """A URL per service (asyncpg driver), each database existing.

    Services whose ``<SVC>_DATABASE_URL`` is set use it; the others get a database on the
    embedded server. The server is stopped on exit if this process owns the data folder.
    """
    databases = Databases(urls={})
    missing: list[str] = []
    for service in services:
        given = environ.get(database_env(service), "").strip()
        if given:
            databases.urls[service] = asyncpg_url(given)
            console.say(f"{service}: database {_display_url(given)} (from {database_env(service)})")
        else:
            missing.append(service)

    if missing:
        server = EmbeddedPostgres(
            layout.pg_root, port=int_env(environ, "CAREPLANE_PG_PORT", DEFAULT_PORT)
        )
        already = server.running_port()
        if owns_data:
            stack.push_async_callback(_stop_embedded, server, console)
        started = time.monotonic()
        superuser = make_url(await in_thread(_start_embedded, server))
        databases.embedded = server
        if already is None:
            how = "started"
        elif owns_data:
            how = "adopted (left running by an earlier run)"
        else:
            how = "in use by the running `make run`"
        console.say(
            f"embedded PostgreSQL {how} on {HOST}:{server.port}, "
            f"data in {server.data} ({elapsed(started)})"
        )
        for service in missing:
            databases.urls[service] = asyncpg_url(superuser.set(database=f"careplane_{service}"))

    created = [service for service in services if await ensure_database(databases.urls[service])]
    if created:
        console.say(f"created databases for {', '.join(created)}")
    return databases


async def _stop_embedded(server: EmbeddedPostgres, console: Console) -> None:
    started = time.monotonic()
    await in_thread(server.stop)
    if server.running_port() is not None:
        # pg_ctl failed (it reports nothing), e.g. because a parent folder of the data
        # became unreachable for the server's user: a fast shutdown by signal instead.
        await _signal_postmaster(server, console)
    if server.running_port() is not None:
        console.error(
            f"embedded PostgreSQL is still running; stop it with pg_ctl -D {server.data} stop"
        )
    elif server.port is not None:
        console.say(f"embedded PostgreSQL stopped ({elapsed(started)})")


async def _signal_postmaster(server: EmbeddedPostgres, console: Console) -> None:
    try:
        pid = int((server.data / "postmaster.pid").read_text().splitlines()[0])
        os.kill(pid, signal.SIGINT)  # PostgreSQL's "fast" shutdown
    except (OSError, ValueError, IndexError) as exc:
        console.warn(f"cannot signal the embedded PostgreSQL: {exc}")
        return
    console.warn(f"pg_ctl could not stop the embedded PostgreSQL; sent SIGINT to pid {pid}")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.running_port() is None:
            return
        await asyncio.sleep(0.1)


async def apply_migrations(urls: Mapping[str, str], layout: Layout, console: Console) -> None:
    for service, url in urls.items():
        service_dir = layout.service_dir(service)
        if not (service_dir / "alembic.ini").is_file():
            raise DevRunError(f"{service_dir / 'alembic.ini'} is missing")
        started = time.monotonic()
        try:
            with log_label(service):
                await in_thread(upgrade, service_dir, url)
        except Exception as exc:
            raise DevRunError(f"migrating {service} failed: {exc!r}") from exc
        console.say(f"{service}: migrations applied ({elapsed(started)})")


@contextlib.contextmanager
def data_folder_lock(layout: Layout) -> Iterator[bool]:
    """An exclusive, non-blocking lock on the data folder: True if this process holds it.

    The lock dies with its process (flock), so a crashed run never blocks the next one.
    """
    layout.data.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(layout.lock_file, os.O_RDWR | os.O_CREAT, 0o644)
    held = False
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            held = True
        except BlockingIOError:
            held = False
        if held:
            os.ftruncate(descriptor, 0)
            os.write(descriptor, f"{os.getpid()}\n".encode())
        yield held
    finally:
        if held:
            layout.lock_file.unlink(missing_ok=True)
        os.close(descriptor)


def lock_holder(layout: Layout) -> str:
    with contextlib.suppress(OSError):
        pid = layout.lock_file.read_text().strip()
        if pid:
            return f" (pid {pid})"
    return ""
