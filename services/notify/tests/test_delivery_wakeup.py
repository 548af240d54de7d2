"""The running delivery worker claims when routing commits, keeps claiming while a claim left
due rows behind, and does not claim again after each attempt when nothing was left. The poll
is set far beyond the tests' bounded waits, so only those wake-ups can deliver anything."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from notify_testkit import post_event, staff, ticket_event
from sqlalchemy import text

from careplane_shared.testing import asgi_client
from notify.deliveries.claim import Claimed
from notify.deliveries.worker import DeliveryWorker

NEVER = 600.0  # the poll: no test waits that long


async def register(client, minter, url: str, customer_id: uuid.UUID) -> None:
    answer = await client.post(
        "/v1/webhook-endpoints",
        json={"url": url, "event_types": ["*"], "customer_id": str(customer_id)},
        headers=staff(minter),
    )
    assert answer.status_code == 201, answer.text


async def statuses(engine, customer_id: uuid.UUID) -> list[str]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT status FROM deliveries WHERE customer_id = :c ORDER BY status"),
            {"c": customer_id},
        )
        return [row.status for row in rows]


async def until(condition, rounds: int = 400) -> None:
    """Awaits ``condition()`` every 50 ms until it holds, 20 s at most."""
    for _ in range(rounds):
        if await condition():
            return
        await asyncio.sleep(0.05)


def all_succeeded(engine, tenant: uuid.UUID, count: int):
    async def check() -> bool:
        return await statuses(engine, tenant) == ["succeeded"] * count

    return check


class CountingWorker(DeliveryWorker):
    """A delivery worker counting its claims and what each took."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.claims: list[int] = []

    async def _claim(self, limit: int) -> Claimed:
        claimed = await super()._claim(limit)
        self.claims.append(len(claimed.jobs))
        return claimed


@asynccontextmanager
async def running(app) -> AsyncIterator[CountingWorker]:
    """A worker like the app's, running until the block ends."""
    own = app.state.delivery_worker
    worker = CountingWorker(own.sessionmaker, own.channels, own.settings)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run_forever(stop))
    try:
        yield worker
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def test_a_routed_event_is_claimed_when_its_transaction_commits(
    live_notify, receiver, notify_minter, notify_engine
):
    target, url = receiver
    tenant = uuid.uuid4()
    async with (
        live_notify(delivery_poll_seconds=NEVER) as app,
        asgi_client(app) as client,
        running(app) as worker,
    ):
        await register(client, notify_minter, f"{url}/hooks", tenant)
        await until(lambda: asyncio.sleep(0, result=bool(worker.claims)))
        assert worker.claims == [0]  # the claim at start found nothing

        await post_event(client, notify_minter, ticket_event(customer_id=tenant))
        await until(all_succeeded(notify_engine, tenant, 1))
        await asyncio.sleep(0.3)  # room for a claim that should not come

    assert await statuses(notify_engine, tenant) == ["succeeded"]
    assert len(target.requests) == 1
    # Woken once by the commit; the claim took the one due row and left none, so the
    # settled attempt was not followed by another claim.
    assert worker.claims == [0, 1]


async def test_rows_held_back_for_fairness_go_as_the_slots_free(
    live_notify, receiver, notify_minter, notify_engine
):
    target, url = receiver
    tenant = uuid.uuid4()
    async with (
        live_notify(delivery_poll_seconds=NEVER, delivery_target_concurrency=2) as app,
        asgi_client(app) as client,
    ):
        await register(client, notify_minter, f"{url}/hooks", tenant)
        for _ in range(7):
            await post_event(client, notify_minter, ticket_event(customer_id=tenant))
        async with running(app) as worker:
            await until(all_succeeded(notify_engine, tenant, 7))

    assert await statuses(notify_engine, tenant) == ["succeeded"] * 7
    assert len(target.requests) == 7
    # Never more than the target's two slots at a time, claimed as each slot freed.
    assert max(worker.claims) <= 2
    assert sum(worker.claims) == 7
