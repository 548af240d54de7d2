from __future__ import annotations

import httpx
import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict
from sqlalchemy import insert, select

from careplane_shared.app import create_service_app
from careplane_shared.db import DbSession
from careplane_shared.errors import Conflict
from careplane_shared.settings import BaseServiceSettings, DatabaseSettings, dev_secret


def test_default_secrets_are_refused_outside_dev():
    BaseServiceSettings(env="dev", client_secret=dev_secret("x"))
    BaseServiceSettings(env="test", client_secret="")
    with pytest.raises(ValidationError, match="client_secret"):
        BaseServiceSettings(env="production", client_secret=dev_secret("x"))
    with pytest.raises(ValidationError, match="client_secret"):
        BaseServiceSettings(env="production", client_secret="")
    assert BaseServiceSettings(env="production", client_secret="a-real-secret").env == "production"


class ExampleSettings(DatabaseSettings):
    """A service's settings as every service declares them: its own prefix."""

    model_config = SettingsConfigDict(env_prefix="EXAMPLE_", extra="ignore")

    contracts_url: str = "http://127.0.0.1:8002"


def test_settings_read_their_own_prefix(monkeypatch):
    monkeypatch.setenv("EXAMPLE_CONTRACTS_URL", "http://contracts.internal")
    monkeypatch.setenv("CONTRACTS_CONTRACTS_URL", "http://wrong")
    monkeypatch.setenv("EXAMPLE_OUTBOX_TARGETS", '{"notify": "http://n/v1/events"}')
    monkeypatch.setenv("CAREPLANE_OUTBOX_TARGETS", '{"wrong": "http://w/v1/events"}')
    settings = ExampleSettings(env="test")
    assert settings.contracts_url == "http://contracts.internal"
    assert settings.outbox_targets == {"notify": "http://n/v1/events"}


async def test_errors_render_in_one_shape_and_never_leak():
    app = create_service_app(BaseServiceSettings(env="test"), title="t", description="d")

    @app.get("/conflict")
    async def conflict() -> None:
        raise Conflict("Already closed.", code="TICKET_CLOSED", details={"status": "CLOSED"})

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("database password is hunter2")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/conflict", headers={"X-Request-ID": "req-123"})
        assert response.status_code == 409
        assert response.json() == {
            "error": {
                "code": "TICKET_CLOSED",
                "message": "Already closed.",
                "request_id": "req-123",
                "details": {"status": "CLOSED"},
            }
        }
        assert response.headers["x-request-id"] == "req-123"

        response = await client.get("/boom")
        assert response.status_code == 500
        assert response.json()["error"]["code"] == "INTERNAL_ERROR"
        assert "hunter2" not in response.text

        response = await client.post("/healthz")
        assert response.status_code == 405
        assert response.json()["error"]["code"] == "METHOD_NOT_ALLOWED"


async def test_text_the_database_cannot_store_is_a_422_and_nothing_is_written(
    shared_db_url, shared_engine, tables
):
    idempotency_keys = tables.idempotency
    settings = DatabaseSettings(env="test", database_url=shared_db_url, log_json=False)
    app = create_service_app(settings, title="t", description="d")

    @app.post("/notes")
    async def write(session: DbSession, body: dict[str, str]) -> dict[str, str]:
        await session.execute(
            insert(idempotency_keys),
            {"owner": "t", "key": body["key"], "method": "POST", "path": body["text"],
             "request_hash": "h"},
        )  # fmt: skip
        return body

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            refused = await client.post("/notes", json={"key": "nul", "text": "a\u0000b"})
            kept = await client.post("/notes", json={"key": "fine", "text": "a b"})
        async with app.state.database.sessionmaker() as session:
            keys = set(await session.scalars(select(idempotency_keys.c.key)))

    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == "TEXT_NOT_STORABLE"
    assert kept.status_code == 200, kept.text
    assert "nul" not in keys and "fine" in keys
