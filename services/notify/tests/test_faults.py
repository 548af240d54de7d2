"""Faults: a flaky target, a worker that dies mid-delivery, events delivered twice."""

from __future__ import annotations

import asyncio
import random
from collections import Counter

from notify_testkit import drain, post_event, staff, ticket_event
from sqlalchemy import text

from careplane_shared.testing import asgi_client
from notify.deliveries.worker import DeliveryWorker
from notify.routing import route_event


async def register(client, minter, url, types=("*",)):
    answer = await client.post(
        "/v1/webhook-endpoints",
        json={"url": url, "event_types": list(types)},
        headers=staff(minter),
    )
    assert answer.status_code == 201
    return answer.json()


async def test_a_target_failing_half_the_time_gets_every_event_exactly_once_per_id(
    live_notify, receiver, notify_minter, notify_engine
):
    target, url = receiver
    flip = random.Random(7)
    target.default = lambda body: 200 if flip.random() < 0.5 else 500

    async with live_notify() as app, asgi_client(app) as client:
        await register(client, notify_minter, f"{url}/flaky")
        events = [ticket_event("ticket.escalated") for _ in range(40)]
        for event in events:
            assert (await post_event(client, notify_minter, event)).status_code == 202
        await drain(app.state.delivery_worker, notify_engine, rounds=40)

    # What the receiver accepted (answered 2xx), per webhook-id: every event, exactly once.
    accepted = Counter(r["headers"]["webhook-id"] for r in target.requests if r["status"] == 200)
    assert accepted == Counter({e["id"]: 1 for e in events})
    assert len(target.requests) > 40  # about half the tries failed and were retried
    async with notify_engine.connect() as c:
        statuses = dict(
            (await c.execute(text("SELECT status, count(*) FROM deliveries GROUP BY status"))).all()
        )
        failed_tries = await c.scalar(
            text("SELECT count(*) FROM delivery_attempts WHERE outcome = 'retry'")
        )
    assert statuses == {"succeeded": 40}
    assert failed_tries == len(target.requests) - 40  # every failed try is on record


async def test_a_worker_killed_mid_delivery_loses_nothing(
    live_notify, receiver, notify_minter, notify_engine
):
    target, url = receiver
    release = asyncio.Event()
    stalled = asyncio.Event()

    async with live_notify() as app, asgi_client(app) as client:
        await register(client, notify_minter, f"{url}/hooks")
        event = ticket_event("ticket.escalated")
        await post_event(client, notify_minter, event)

        doomed = app.state.delivery_worker
        # The doomed worker claims and starts posting; the receiver holds the request.
        original_deliver = doomed.channels["webhook"].deliver

        async def stuck(job):
            stalled.set()
            await release.wait()
            return await original_deliver(job)

        doomed.channels["webhook"].deliver = stuck
        task = asyncio.create_task(doomed.run_once())
        await asyncio.wait_for(stalled.wait(), 5)
        task.cancel()  # killed: no outcome recorded, the row stays claimed under its lease
        await asyncio.gather(task, return_exceptions=True)

        survivor = DeliveryWorker(
            app.state.database.sessionmaker,
            {"webhook": type(doomed.channels["webhook"])(app.state.channel_services)},
            doomed.settings,
            worker_id="survivor",
        )
        assert await survivor.run_once() == 0  # the lease still holds
        async with notify_engine.begin() as c:  # ... until it runs out
            await c.execute(text("UPDATE deliveries SET locked_until = now() - interval '1 s'"))
        assert await survivor.reap() == 1
        assert await survivor.run_once() == 1

        [request] = target.requests
        assert request["headers"]["webhook-id"] == event["id"]
        [delivery] = (await client.get("/v1/deliveries", headers=staff(notify_minter))).json()[
            "items"
        ]
        assert delivery["status"] == "succeeded" and delivery["attempts"] == 2
        detail = (
            await client.get(f"/v1/deliveries/{delivery['id']}", headers=staff(notify_minter))
        ).json()
        assert [(a["outcome"], a["worker"]) for a in detail["attempt_log"]] == [
            ("lease_expired", doomed.worker_id),
            ("succeeded", "survivor"),
        ]


async def test_a_late_worker_cannot_overwrite_the_outcome_of_the_one_that_took_over(
    live_notify, receiver, notify_minter, notify_engine
):
    target, url = receiver
    target.default = 500
    async with live_notify() as app, asgi_client(app) as client:
        await register(client, notify_minter, f"{url}/hooks")
        await post_event(client, notify_minter, ticket_event("ticket.escalated"))
        slow = app.state.delivery_worker
        jobs = await slow.claim()
        results = await slow.deliver(jobs)  # 500, but its lease runs out before it records
        async with notify_engine.begin() as c:
            await c.execute(text("UPDATE deliveries SET locked_until = now() - interval '1 s'"))
        target.default = 200
        fast = DeliveryWorker(
            app.state.database.sessionmaker, slow.channels, slow.settings, worker_id="fast"
        )
        assert await fast.run_once() == 1
        await slow.record(results)  # too late: logged, but the row is not its to settle
        async with notify_engine.connect() as c:
            status = await c.scalar(text("SELECT status FROM deliveries"))
            outcomes = (
                await c.execute(text("SELECT outcome FROM delivery_attempts ORDER BY id"))
            ).scalars()
            assert status == "succeeded"
            assert list(outcomes) == ["succeeded", "retry"]


async def test_workers_claim_disjoint_rows(live_notify, receiver, notify_minter, notify_engine):
    _, url = receiver
    # One target here: allowed to have all of its deliveries in flight at once.
    async with (
        live_notify(delivery_batch_size=25, delivery_target_concurrency=100) as app,
        asgi_client(app) as client,
    ):
        await register(client, notify_minter, f"{url}/hooks")
        for _ in range(60):
            await post_event(client, notify_minter, ticket_event("ticket.escalated"))
        a = app.state.delivery_worker
        b = DeliveryWorker(app.state.database.sessionmaker, a.channels, a.settings)
        c = DeliveryWorker(app.state.database.sessionmaker, a.channels, a.settings)
        claimed = await asyncio.gather(a.claim(), b.claim(), c.claim())
        ids = [job.id for batch in claimed for job in batch]
        assert len(ids) == len(set(ids)) == 60


async def test_duplicate_intake_creates_no_duplicate_delivery(
    live_notify, receiver, notify_minter, notify_engine
):
    _, url = receiver
    async with live_notify() as app, asgi_client(app) as client:
        await register(client, notify_minter, f"{url}/hooks")
        event = ticket_event("ticket.escalated")
        assert (await post_event(client, notify_minter, event)).status_code == 202
        assert (await post_event(client, notify_minter, event)).status_code == 200
        # Even past the inbox (the same event id arriving under another source), the
        # (event id, target) constraint holds.
        from careplane_shared.events import CloudEvent

        async with app.state.database.sessionmaker() as session, session.begin():
            again = CloudEvent.model_validate({**event, "source": "replayed"})
            assert await route_event(session, again, app.state.settings) == 0
        listed = await client.get("/v1/deliveries", headers=staff(notify_minter))
        assert listed.json()["total"] == 1
