"""The outbox relay against a real receiving service, with failures and crashed workers."""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from careplane_shared.auth import Role
from careplane_shared.events import Outbox, OutboxRelay
from careplane_shared.testing import asgi_client, running_app


class FlakyTransport(httpx.AsyncBaseTransport):
    """Answers every other request with a 503 before it reaches the receiver."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.counter = itertools.count()
        self.failed = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if next(self.counter) % 2 == 0:
            self.failed += 1
            return httpx.Response(503, json={"error": {"code": "SERVICE_UNAVAILABLE"}})
        return await self.inner.handle_async_request(request)


async def test_every_event_arrives_exactly_once_despite_failures(
    shared_engine, shared_db_url, minter, example_service, tables
):
    maker = async_sessionmaker(shared_engine, expire_on_commit=False)
    outbox = Outbox(
        tables.outbox, source="sender", destinations={"example": "http://example/v1/events"}
    )
    async with maker() as session, session.begin():
        emitted = [
            await outbox.emit(session, "ticket.opened", {"n": n}, subject=f"CS-{n}")
            for n in range(20)
        ]

    receiver = example_service(shared_db_url, minter)
    async with running_app(receiver):
        flaky = FlakyTransport(httpx.ASGITransport(app=receiver))
        headers = minter.headers(Role.SERVICE, subject="svc-sender")
        async with httpx.AsyncClient(transport=flaky, headers=headers) as client:
            relay = OutboxRelay(
                maker, tables.outbox, client, outbox.destinations, batch_size=7, lease_seconds=30
            )
            for _ in range(30):
                await relay.run_once()
                async with maker() as session:
                    # Pull retries forward instead of sleeping through the backoff.
                    await session.execute(
                        tables.outbox.update()
                        .where(tables.outbox.c.delivered_at.is_(None))
                        .values(available_at=func.now())
                    )
                    await session.commit()
                    pending = await session.scalar(
                        select(func.count()).where(tables.outbox.c.delivered_at.is_(None))
                    )
                if pending == 0:
                    break

    assert flaky.failed > 0
    async with maker() as session:
        received = (await session.execute(select(tables.inbox.c.id, tables.inbox.c.source))).all()
        attempts = (await session.execute(select(tables.outbox.c.attempts))).scalars().all()
    assert sorted(r.id for r in received) == sorted(e.id for e in emitted)
    assert {r.source for r in received} == {"sender"}
    assert max(attempts) >= 2


async def test_a_crashed_relay_loses_nothing(
    shared_engine, shared_db_url, minter, example_service, tables
):
    maker = async_sessionmaker(shared_engine, expire_on_commit=False)
    outbox = Outbox(
        tables.outbox, source="sender", destinations={"example": "http://example/v1/events"}
    )
    async with maker() as session, session.begin():
        event = await outbox.emit(session, "ticket.closed", {"ticket_id": str(uuid.uuid4())})

    receiver = example_service(shared_db_url, minter)
    async with (
        running_app(receiver),
        asgi_client(receiver, headers=minter.headers(Role.SERVICE, subject="svc-sender")) as client,
    ):
        crashed = OutboxRelay(maker, tables.outbox, client, outbox.destinations, lease_seconds=1)
        claimed = await crashed._claim()  # claims, then "dies" before delivering
        assert [row.id for row in claimed] == [uuid.UUID(event.id)]

        survivor = OutboxRelay(maker, tables.outbox, client, outbox.destinations, lease_seconds=1)
        assert await survivor.run_once() == 0  # the lease still holds
        await asyncio.sleep(1.2)
        assert await survivor.run_once() == 1

        # The dead worker waking up late cannot overwrite the survivor's result.
        await crashed._record([(claimed[0], "late failure")])

    async with maker() as session:
        row = (await session.execute(select(tables.outbox))).one()
        received = await session.scalar(select(func.count()).select_from(tables.inbox))
    assert row.delivered_at is not None and row.last_error is None
    assert received == 1


async def test_concurrent_relays_never_deliver_one_row_twice(
    shared_engine, shared_db_url, minter, example_service, tables
):
    maker = async_sessionmaker(shared_engine, expire_on_commit=False)
    outbox = Outbox(
        tables.outbox, source="sender", destinations={"example": "http://example/v1/events"}
    )
    async with maker() as session, session.begin():
        for n in range(60):
            await outbox.emit(session, "ticket.replied", {"n": n})

    posted: list[str] = []  # the id of every event each post carried
    receiver = example_service(shared_db_url, minter)

    class CountingTransport(httpx.AsyncBaseTransport):
        def __init__(self) -> None:
            self.inner = httpx.ASGITransport(app=receiver)

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            body = json.loads(await request.aread())
            posted.extend(event["id"] for event in (body if isinstance(body, list) else [body]))
            return await self.inner.handle_async_request(request)

    async with (
        running_app(receiver),
        httpx.AsyncClient(
            transport=CountingTransport(), headers=minter.headers(Role.SERVICE)
        ) as client,
    ):
        relays = [
            OutboxRelay(maker, tables.outbox, client, outbox.destinations, batch_size=5)
            for _ in range(4)
        ]
        for _ in range(10):
            await asyncio.gather(*(relay.run_once() for relay in relays))

    assert len(posted) == 60
    assert len(set(posted)) == 60
