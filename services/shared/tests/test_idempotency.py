"""``Idempotency-Key`` on a creating POST, with real commits and concurrent retries."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fastapi import Body, FastAPI
from sqlalchemy import func, select, table

from careplane_shared.app import create_service_app
from careplane_shared.auth import Role
from careplane_shared.db import DbSession
from careplane_shared.events import Outbox
from careplane_shared.idempotency import IdempotencyDep
from careplane_shared.settings import DatabaseSettings
from careplane_shared.testing import asgi_client, running_app


def _app(database_url: str, minter, tables) -> FastAPI:
    settings = DatabaseSettings(env="test", database_url=database_url, log_json=False)
    app = create_service_app(settings, title="t", description="d")
    app.state.token_verifier = minter.verifier()
    app.state.idempotency_table = tables.idempotency
    outbox = Outbox(tables.outbox, source="test", destinations={"notify": "http://n"})

    @app.post("/things", status_code=201)
    async def create_thing(
        session: DbSession, idempotency: IdempotencyDep, body: dict[str, Any] = Body()
    ) -> dict[str, Any]:
        event = await outbox.emit(session, "thing.created", body)
        await asyncio.sleep(0.05)  # widen the window for concurrent retries
        answer = {"id": event.id, "body": body}
        await idempotency.save(session, 201, answer)
        return answer

    return app


@pytest.fixture
async def client(shared_engine, shared_db_url, minter, tables):
    app = _app(shared_db_url, minter, tables)
    async with (
        running_app(app),
        asgi_client(app, headers=minter.headers(Role.INTEGRATION, subject="crm-1")) as client,
    ):
        yield client


async def _outbox_rows(engine) -> int:
    async with engine.connect() as connection:
        return await connection.scalar(select(func.count()).select_from(table("outbox_events")))


async def test_a_retry_replays_the_first_answer(client, shared_engine):
    first = await client.post("/things", json={"n": 1}, headers={"Idempotency-Key": "k-1"})
    again = await client.post("/things", json={"n": 1}, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert await _outbox_rows(shared_engine) == 1


async def test_the_same_key_for_another_body_is_refused(client, shared_engine):
    await client.post("/things", json={"n": 1}, headers={"Idempotency-Key": "k-2"})
    response = await client.post("/things", json={"n": 2}, headers={"Idempotency-Key": "k-2"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert await _outbox_rows(shared_engine) == 1


async def test_without_a_key_every_post_creates(client, shared_engine):
    await client.post("/things", json={"n": 1})
    await client.post("/things", json={"n": 1})
    assert await _outbox_rows(shared_engine) == 2


async def test_keys_belong_to_their_caller(client, shared_engine, minter):
    await client.post("/things", json={"n": 1}, headers={"Idempotency-Key": "shared"})
    other = minter.headers(Role.INTEGRATION, subject="crm-2")
    response = await client.post(
        "/things", json={"n": 1}, headers={"Idempotency-Key": "shared", **other}
    )
    assert response.status_code == 201
    assert "idempotent-replayed" not in response.headers
    assert await _outbox_rows(shared_engine) == 2


async def test_concurrent_retries_create_once(client, shared_engine):
    responses = await asyncio.gather(
        *(
            client.post("/things", json={"n": 9}, headers={"Idempotency-Key": "race"})
            for _ in range(8)
        )
    )
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert await _outbox_rows(shared_engine) == 1


async def test_an_unusable_key_is_a_clear_error(client):
    response = await client.post("/things", json={}, headers={"Idempotency-Key": "x" * 300})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "IDEMPOTENCY_KEY_INVALID"
