"""The delivery worker stopped mid-batch: the attempt that finishes within the stop's drain
is recorded as usual, the ones still held by their target are cut short and released at
once, another worker delivers them without waiting for the lease, and the target accepts
each delivery once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
from notify_testkit import post_event, staff, ticket_event
from sqlalchemy import text

from careplane_shared.app import BackgroundWorkers
from careplane_shared.testing import asgi_client, serve_on_loopback
from notify.deliveries.worker import INTERRUPTED, DeliveryWorker


class HeldTarget:
    """A webhook endpoint on 127.0.0.1 that holds every request until given a permit
    (or until ``open``), then answers 200; it knows the webhook-ids it answered."""

    def __init__(self) -> None:
        self.permits = asyncio.Semaphore(0)
        self.open = False
        self.arrived = 0
        self.answered: list[str] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        while (await receive()).get("more_body"):
            pass
        self.arrived += 1
        if not self.open:
            await self.permits.acquire()
        headers = {key.decode(): value.decode() for key, value in scope["headers"]}
        self.answered.append(headers["webhook-id"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


@pytest.fixture
async def held_target() -> AsyncIterator[tuple[HeldTarget, str]]:
    target = HeldTarget()
    async with serve_on_loopback(target) as url:
        try:
            yield target, url
        finally:
            # The requests whose client went away are still held: let them end.
            target.open = True
            for _ in range(10):
                target.permits.release()


async def _until(check: Any, what: str) -> None:
    for _ in range(400):  # 20 s at most
        if check():
            return
        await asyncio.sleep(0.05)
    pytest.fail(what)


async def test_stopped_mid_batch_records_what_finished_and_releases_the_rest(
    live_notify: Any, held_target: tuple[HeldTarget, str], notify_minter: Any, notify_engine: Any
) -> None:
    target, url = held_target
    # The drain of a stop is long enough for the one attempt the test lets finish.
    async with live_notify(delivery_stop_drain_seconds=3.0) as app, asgi_client(app) as client:
        answer = await client.post(
            "/v1/webhook-endpoints",
            json={"url": f"{url}/hooks", "event_types": ["*"]},
            headers=staff(notify_minter),
        )
        assert answer.status_code == 201, answer.text
        events = [ticket_event("ticket.escalated") for _ in range(3)]
        for event in events:
            assert (await post_event(client, notify_minter, event)).status_code == 202

        worker: DeliveryWorker = app.state.delivery_worker
        workers = BackgroundWorkers()
        workers.start("deliveries", worker.run_forever)
        await _until(lambda: target.arrived == 3, "the three attempts never reached the target")

        workers.stop.set()  # SIGTERM: three attempts in flight
        target.permits.release()  # one of them finishes within the drain
        summary = await workers.shutdown()
        assert summary["workers_cancelled"] == []
        assert summary["leases_released"] == {"deliveries": 2}

        async with notify_engine.connect() as c:
            rows = (await c.execute(text("SELECT status, locked_by FROM deliveries"))).all()
        assert sorted(rows) == [("pending", None), ("pending", None), ("succeeded", None)]

        # Another worker takes the two now: no lease to wait for, nothing to reap.
        target.open = True
        survivor = DeliveryWorker(
            app.state.database.sessionmaker,
            worker.channels,
            worker.settings,
            worker_id="survivor",
        )
        assert await survivor.run_once() == 2
        accepted = Counter(target.answered)

        async with notify_engine.connect() as c:
            statuses = (await c.execute(text("SELECT status FROM deliveries"))).scalars().all()
            logs = (
                await c.execute(
                    text(
                        "SELECT a.delivery_id, a.outcome, a.error, a.worker "
                        "FROM delivery_attempts a ORDER BY a.id"
                    )
                )
            ).all()

    assert statuses == ["succeeded"] * 3
    assert accepted == Counter({event["id"]: 1 for event in events})
    per_delivery: dict[Any, list[tuple[str, str | None, str]]] = {}
    for log in logs:
        per_delivery.setdefault(log.delivery_id, []).append((log.outcome, log.error, log.worker))
    assert sorted(per_delivery.values()) == sorted(
        [
            [("retry", INTERRUPTED, worker.worker_id), ("succeeded", None, "survivor")],
            [("retry", INTERRUPTED, worker.worker_id), ("succeeded", None, "survivor")],
            [("succeeded", None, worker.worker_id)],
        ]
    )
