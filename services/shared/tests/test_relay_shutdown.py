"""The outbox relay stopped mid-batch: a round in hand is finished and recorded, a round cut
short by cancellation gives its rows back at once, and another relay then delivers them
without waiting for the lease, each event kept once by the receiver.

The receiver is the example service served by uvicorn on 127.0.0.1, behind a gate that
holds the first post for as long as the test likes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from careplane_shared.app import BackgroundWorkers
from careplane_shared.auth import Role
from careplane_shared.events import Outbox, OutboxRelay
from careplane_shared.leases import RELEASE_TIMEOUT_SECONDS
from careplane_shared.testing import TokenMinter, asgi_client, running_app, serve_on_loopback


class Gate:
    """ASGI middleware: holds the first request until ``opened``, then passes it on
    (``forward``) or answers 503; later requests pass at once."""

    def __init__(self, app: Any, *, forward: bool) -> None:
        self.app = app
        self.forward = forward
        self.entered = asyncio.Event()
        self.opened = asyncio.Event()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and not self.entered.is_set():
            self.entered.set()
            await self.opened.wait()
            if not self.forward:
                await send({"type": "http.response.start", "status": 503, "headers": []})
                await send({"type": "http.response.body", "body": b""})
                return
        await self.app(scope, receive, send)


async def _wait(event: asyncio.Event, what: str) -> None:
    try:
        await asyncio.wait_for(event.wait(), 20)
    except TimeoutError:
        pytest.fail(f"{what} within 20 s")


async def _emit(engine: AsyncEngine, outbox: Outbox, count: int) -> list[str]:
    maker = async_sessionmaker(engine, expire_on_commit=False)
    async with maker() as session, session.begin():
        return [(await outbox.emit(session, "ticket.opened", {"n": n})).id for n in range(count)]


async def _counts(engine: AsyncEngine, outbox: Table, inbox: Table) -> dict[str, Any]:
    async with engine.connect() as connection:
        rows = (await connection.execute(select(outbox))).all()
        kept = await connection.scalar(select(func.count(func.distinct(inbox.c.id))))
        total = await connection.scalar(select(func.count()).select_from(inbox))
    return {"rows": rows, "kept": kept, "inbox_rows": total}


@pytest.fixture
def outbox(tables: Any) -> Outbox:
    return Outbox(tables.outbox, source="sender", destinations={"example": "http://unused"})


@pytest.fixture
async def receiver(
    shared_db_url: str, minter: TokenMinter, example_service: Any
) -> AsyncIterator[Any]:
    app = example_service(shared_db_url, minter)
    async with running_app(app):
        yield app


async def test_cancelled_mid_post_releases_the_round_for_another_relay(
    shared_engine: AsyncEngine, minter: TokenMinter, tables: Any, outbox: Outbox, receiver: Any
) -> None:
    emitted = await _emit(shared_engine, outbox, 6)
    maker = async_sessionmaker(shared_engine, expire_on_commit=False)
    headers = minter.headers(Role.SERVICE, subject="svc-sender")
    gate = Gate(receiver, forward=False)
    async with (
        serve_on_loopback(gate) as url,
        httpx.AsyncClient(headers=headers, trust_env=False) as client,
    ):
        try:
            relay = OutboxRelay(
                maker, tables.outbox, client, {"example": f"{url}/v1/events"}, poll_seconds=60
            )
            workers = BackgroundWorkers()
            workers.start("outbox-relay", relay.run_forever)
            await _wait(gate.entered, "the relay did not post")
            # No time left to finish the round: cancelled at once, the release still runs.
            summary = await workers.shutdown(grace_seconds=RELEASE_TIMEOUT_SECONDS)
        finally:
            gate.opened.set()

    assert summary["workers_cancelled"] == ["outbox-relay"]
    assert summary["workers_stuck"] == []
    assert summary["leases_released"] == {"outbox-relay": 6}
    state = await _counts(shared_engine, tables.outbox, tables.inbox)
    assert [(r.locked_by, r.locked_until, r.attempts) for r in state["rows"]] == [
        (None, None, 0)
    ] * 6
    assert state["inbox_rows"] == 0

    # Another replica's relay takes them now, not when the 30 s lease would have ended.
    async with asgi_client(receiver, headers=headers) as client:
        other = OutboxRelay(maker, tables.outbox, client, {"example": "http://x/v1/events"})
        assert await other.run_once() == 6
    state = await _counts(shared_engine, tables.outbox, tables.inbox)
    assert all(r.delivered_at is not None and r.attempts == 1 for r in state["rows"])
    assert state["kept"] == state["inbox_rows"] == len(emitted)


async def test_stopped_mid_round_finishes_the_round_and_claims_no_more(
    shared_engine: AsyncEngine, minter: TokenMinter, tables: Any, outbox: Outbox, receiver: Any
) -> None:
    await _emit(shared_engine, outbox, 6)
    maker = async_sessionmaker(shared_engine, expire_on_commit=False)
    headers = minter.headers(Role.SERVICE, subject="svc-sender")
    gate = Gate(receiver, forward=True)
    async with (
        serve_on_loopback(gate) as url,
        httpx.AsyncClient(headers=headers, trust_env=False) as client,
    ):
        try:
            relay = OutboxRelay(
                maker,
                tables.outbox,
                client,
                {"example": f"{url}/v1/events"},
                batch_size=3,
                poll_seconds=60,
            )
            workers = BackgroundWorkers()
            workers.start("outbox-relay", relay.run_forever)
            await _wait(gate.entered, "the relay did not post")
            workers.stop.set()  # SIGTERM while the round is in hand
            gate.opened.set()
            summary = await workers.shutdown()
        finally:
            gate.opened.set()

    assert summary["workers_cancelled"] == []
    assert summary["leases_released"] == {}
    state = await _counts(shared_engine, tables.outbox, tables.inbox)
    delivered = [r for r in state["rows"] if r.delivered_at is not None]
    untouched = [r for r in state["rows"] if r.delivered_at is None]
    assert len(delivered) == 3 and all(r.attempts == 1 for r in delivered)
    assert [(r.locked_by, r.attempts) for r in untouched] == [(None, 0)] * 3
    assert state["kept"] == state["inbox_rows"] == 3
