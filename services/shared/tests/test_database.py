"""The engine every service builds: plain connections on the loopback unless TLS is asked for."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from careplane_shared.db import connect_args, create_database
from careplane_shared.settings import DatabaseSettings


def settings_for(url: str) -> DatabaseSettings:
    return DatabaseSettings(env="test", service_name="example", database_url=url)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+asyncpg://postgres@127.0.0.1:5432/careplane",
        "postgresql+asyncpg://postgres@localhost/careplane",
        "postgresql+asyncpg://postgres@[::1]:5432/careplane",
    ],
)
def test_the_loopback_is_reached_without_a_tls_attempt(url, monkeypatch):
    monkeypatch.delenv("PGSSLMODE", raising=False)
    args = connect_args(settings_for(url))
    assert args["ssl"] is False
    assert args["server_settings"] == {"application_name": "example"}


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+asyncpg://postgres@127.0.0.1:5432/careplane?ssl=require",
        "postgresql+asyncpg://postgres@127.0.0.1:5432/careplane?sslmode=verify-full",
        "postgresql+asyncpg://postgres@db.internal:5432/careplane",
    ],
)
def test_tls_is_left_to_asyncpg_when_asked_for_or_off_the_loopback(url, monkeypatch):
    monkeypatch.delenv("PGSSLMODE", raising=False)
    assert "ssl" not in connect_args(settings_for(url))


def test_pgsslmode_is_honoured_on_the_loopback(monkeypatch):
    monkeypatch.setenv("PGSSLMODE", "require")
    assert "ssl" not in connect_args(settings_for("postgresql+asyncpg://u@127.0.0.1/db"))


async def test_a_service_database_on_the_loopback_answers(shared_db_url, monkeypatch):
    monkeypatch.delenv("PGSSLMODE", raising=False)
    database = create_database(settings_for(shared_db_url))
    try:
        await database.ping()
        async with database.engine.connect() as connection:
            tls = await connection.scalar(
                text("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            )
        assert tls is False
    finally:
        await database.dispose()
