"""A piece under test, built the same way by every suite: a migrated database of its own,
its settings in the test profile, its real app running (lifespan and all) and a client of it.

    TICKETS = ServiceKit("tickets", "tickets.config:TicketsSettings", "tickets.main:create_app")

    async with TICKETS.database(provision_database) as database:       # once per session
        async with database.rolled_back() as connection:                # once per test
            settings = TICKETS.settings(database, attachments_dir=tmp_path)
            async with TICKETS.client(settings, connection) as client:
                ...

With a connection, every request's transaction is a savepoint of the test's own, and nothing
outlives the test; without one the app commits for real (workers, LISTEN/NOTIFY, races).
The settings class and the app factory are named by import path, so that this library
imports no piece: a suite loads only the pieces it runs (``careplane_shared.testing.pieces``
names the four).
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from careplane_shared.auth import StaticKeySource, TokenVerifier
from careplane_shared.settings import BaseServiceSettings
from careplane_shared.testing import asgi_client, rolled_back_connection, running_app
from careplane_shared.testing.plugin import ProvisionDatabase


def _load(path: str) -> Any:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class ServiceDatabase:
    """A piece's migrated test database: its URL and an engine on it, kept for the session."""

    url: str
    engine: AsyncEngine

    @asynccontextmanager
    async def rolled_back(self) -> AsyncIterator[AsyncConnection]:
        """A connection inside a transaction that is rolled back at the end of the block."""
        async with rolled_back_connection(self.engine) as connection:
            yield connection


@dataclass(frozen=True)
class ServiceKit:
    """One piece as the tests build it: its settings class and app factory by import path
    (``"tickets.main:create_app"``); ``has_database``: the piece owns a database, whose
    Alembic scripts sit beside its ``src`` folder."""

    name: str
    settings_path: str
    app_factory_path: str
    has_database: bool = True

    @cached_property
    def settings_class(self) -> type[BaseServiceSettings]:
        found: type[BaseServiceSettings] = _load(self.settings_path)
        return found

    @cached_property
    def app_factory(self) -> Callable[..., FastAPI]:
        found: Callable[..., FastAPI] = _load(self.app_factory_path)
        return found

    @property
    def service_dir(self) -> Path:
        """The folder of the piece's ``alembic.ini`` and migrations (``services/<name>``)."""
        package = importlib.import_module(self.settings_path.split(".", 1)[0])
        assert package.__file__ is not None
        return Path(package.__file__).resolve().parents[2]

    @asynccontextmanager
    async def database(
        self, provision: ProvisionDatabase, name: str | None = None
    ) -> AsyncIterator[ServiceDatabase]:
        """A fresh database migrated to head (one per ``name`` per test process; the piece's
        name unless told), with an engine that is disposed at the end."""
        url = await provision(name or self.name, self.service_dir)
        engine = create_async_engine(url)
        try:
            yield ServiceDatabase(url, engine)
        finally:
            await engine.dispose()

    def settings(self, database: ServiceDatabase | str | None = None, **overrides: Any) -> Any:
        """The piece's settings in the test profile: plain-text logs and, for a piece with a
        database, that database and no background workers (a test runs a worker's rounds
        itself). ``overrides`` win."""
        values: dict[str, Any] = {"env": "test", "log_json": False}
        if self.has_database:
            if database is None:
                raise TypeError(f"{self.name} settings need its database")
            url = database.url if isinstance(database, ServiceDatabase) else database
            values |= {"database_url": url, "run_workers": False}
        return self.settings_class(**(values | overrides))

    @asynccontextmanager
    async def app(
        self,
        settings: BaseServiceSettings,
        connection: AsyncConnection | None = None,
        *,
        token_verifier: TokenVerifier | None = None,
        **wiring: Any,
    ) -> AsyncIterator[FastAPI]:
        """The piece's app, running. ``wiring`` goes to its app factory (the transports to
        other pieces in-process); ``token_verifier`` replaces its own (a test's minter, or
        another app's keys: ``verifier_of``)."""
        app = self.app_factory(settings, **wiring)
        if token_verifier is not None:
            app.state.token_verifier = token_verifier
        async with running_app(app, connection) as running:
            yield running

    @asynccontextmanager
    async def client(
        self,
        settings: BaseServiceSettings,
        connection: AsyncConnection | None = None,
        *,
        base_url: str = "http://testserver",
        token_verifier: TokenVerifier | None = None,
        **wiring: Any,
    ) -> AsyncIterator[httpx.AsyncClient]:
        """A client of the running app (``app`` with the same arguments), in-process."""
        async with (
            self.app(settings, connection, token_verifier=token_verifier, **wiring) as app,
            asgi_client(app, base_url=base_url) as client,
        ):
            yield client


def verifier_of(contracts_app: FastAPI) -> TokenVerifier:
    """A verifier of the tokens a running contracts app signs, knowing its keys without
    asking it: how the other pieces trust contracts in tests that wire them together."""
    return TokenVerifier(
        StaticKeySource(contracts_app.state.signing_key.jwks),
        issuer="careplane",
        audience="careplane",
    )
