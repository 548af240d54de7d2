"""The relay is woken by the commit of a transaction that wrote events, not by its poll."""

from __future__ import annotations

import asyncio

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
        rounds = 0
        run_once = relay.run_once

        async def counted() -> int:
            nonlocal rounds
            rounds += 1
            return await run_once()

        relay.run_once = counted  # type: ignore[method-assign]
        task = asyncio.create_task(relay.run_forever(stop))
        try:
            for _ in range(500):  # the first round finds nothing, then the relay sleeps
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
