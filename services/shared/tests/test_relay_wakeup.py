"""The relay is woken by the commit of a transaction that wrote events, not by its poll."""

from __future__ import annotations

import asyncio
import json

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from careplane_shared.auth import Role
from careplane_shared.events import Outbox, OutboxRelay
from careplane_shared.events.wakeup import committed_rows
from careplane_shared.testing import running_app


async def test_a_commit_that_wrote_events_wakes_the_listeners_a_rollback_does_not(
    shared_engine, tables
):
    maker = async_sessionmaker(shared_engine, expire_on_commit=False)
    outbox = Outbox(tables.outbox, source="sender", destinations={"x": "http://x/v1/events"})
    silent = Outbox(tables.outbox, source="sender", destinations={})
    with committed_rows(tables.outbox) as written:
        async with maker() as session, session.begin():
            await silent.emit(session, "ticket.opened", {})  # no destination: no row
        assert not written.is_set()

        async with maker() as session:
            async with session.begin():
                await outbox.emit(session, "ticket.opened", {})
                assert not written.is_set()  # not before the commit
            assert written.is_set()

        written.clear()
        async with maker() as session:
            transaction = await session.begin()
            await outbox.emit(session, "ticket.opened", {})
            await transaction.rollback()
            async with session.begin():  # the same session's next transaction writes nothing
                await session.execute(select(1))
        assert not written.is_set()


async def test_the_relay_delivers_an_event_on_its_commit_without_waiting_for_its_poll(
    shared_engine, shared_db_url, minter, example_service, tables
):
    maker = async_sessionmaker(shared_engine, expire_on_commit=False)
    outbox = Outbox(tables.outbox, source="sender", destinations={"x": "http://x/v1/events"})
    receiver = example_service(shared_db_url, minter)
    stop = asyncio.Event()
    async with (
        running_app(receiver),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=receiver), headers=minter.headers(Role.SERVICE)
        ) as client,
    ):
        # A poll far longer than the test waits: only the commit can wake it in time.
        relay = OutboxRelay(maker, tables.outbox, client, outbox.destinations, poll_seconds=600)
        rounds = 0  # finished
        run_once = relay.run_once

        async def counted() -> int:
            nonlocal rounds
            handled = await run_once()
            rounds += 1
            return handled

        relay.run_once = counted  # type: ignore[method-assign]
        task = asyncio.create_task(relay.run_forever(stop))
        try:
            for _ in range(500):  # the first round finds nothing, then the relay waits
                if rounds:
                    break
                await asyncio.sleep(0.01)
            async with maker() as session, session.begin():
                event = await outbox.emit(session, "ticket.opened", {"n": 1})

            received = 0
            for _ in range(1000):  # at most 10 s, against a poll of 600 s
                async with maker() as session:
                    received = await session.scalar(
                        select(func.count())
                        .select_from(tables.inbox)
                        .where(tables.inbox.c.id == event.id)
                    )
                if received:
                    break
                await asyncio.sleep(0.01)
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=10)

    assert received == 1
    assert rounds >= 2


async def test_under_load_rounds_are_spaced_and_carry_what_came_in_meanwhile(
    shared_engine, shared_db_url, minter, example_service, tables
):
    maker = async_sessionmaker(shared_engine, expire_on_commit=False)
    outbox = Outbox(tables.outbox, source="sender", destinations={"x": "http://x/v1/events"})
    receiver = example_service(shared_db_url, minter)
    posts: list[int] = []  # events per post

    class Counting(httpx.AsyncBaseTransport):
        def __init__(self) -> None:
            self.inner = httpx.ASGITransport(app=receiver)

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            posts.append(len(json.loads(await request.aread())))
            return await self.inner.handle_async_request(request)

    async def received(*ids: str) -> int:
        async with maker() as session:
            return await session.scalar(
                select(func.count()).select_from(tables.inbox).where(tables.inbox.c.id.in_(ids))
            )

    stop = asyncio.Event()
    async with (
        running_app(receiver),
        httpx.AsyncClient(transport=Counting(), headers=minter.headers(Role.SERVICE)) as client,
    ):
        # Rounds that carry rows at most every 600 s: longer than the test lasts.
        relay = OutboxRelay(
            maker,
            tables.outbox,
            client,
            outbox.destinations,
            poll_seconds=600,
            min_round_seconds=600,
        )
        task = asyncio.create_task(relay.run_forever(stop))
        try:
            async with maker() as session, session.begin():
                first = (await outbox.emit(session, "ticket.opened", {})).id
            for _ in range(1000):  # the first event after a quiet spell leaves at once
                if await received(first):
                    break
                await asyncio.sleep(0.01)
            later = []
            for n in range(3):  # each commit wakes the relay, which holds back
                async with maker() as session, session.begin():
                    later.append((await outbox.emit(session, "ticket.replied", {"n": n})).id)
            await asyncio.sleep(0.2)
            held_back = await received(*later)
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=10)
        assert await relay.run_once() == 3  # the next round carries all three

    assert await received(first) == 1
    assert held_back == 0
    assert posts == [1, 3]
    assert await received(*later) == 3
