"""Signed webhooks end to end: intake → delivery row → worker → a real receiver on 127.0.0.1
that verifies the signature with the `standardwebhooks` package, not our code."""

from __future__ import annotations

import json

from notify_testkit import drain, post_event, staff, ticket_event
from sqlalchemy import text
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from careplane_shared.auth import Role


async def register(client, minter, url, types=("ticket.opened",), **extra):
    answer = await client.post(
        "/v1/webhook-endpoints",
        json={"url": url, "event_types": list(types), **extra},
        headers=staff(minter),
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


async def test_a_signed_webhook_verifies_with_standardwebhooks(
    live_notify, receiver, notify_minter, notify_engine
):
    target, url = receiver
    async with live_notify() as app:
        from careplane_shared.testing import asgi_client

        async with asgi_client(app) as client:
            endpoint = await register(client, notify_minter, f"{url}/hooks/crm")
            assert endpoint["secret"].startswith("whsec_")
            event = ticket_event()
            assert (await post_event(client, notify_minter, event)).status_code == 202

            assert await drain(app.state.delivery_worker, notify_engine) == 1
            [request] = target.requests
            verified = Webhook(endpoint["secret"]).verify(request["body"], request["headers"])
            assert verified == {
                "type": "ticket.opened",
                "timestamp": verified["timestamp"],
                "data": event["data"],
            }
            assert request["headers"]["webhook-id"] == event["id"]
            assert request["headers"]["content-type"] == "application/json"
            # A wrong secret does not verify: the check is real.
            other = (await register(client, notify_minter, f"{url}/other"))["secret"]
            try:
                Webhook(other).verify(request["body"], request["headers"])
                raise AssertionError("verified with the wrong secret")
            except WebhookVerificationError:
                pass

            listed = await client.get(
                "/v1/deliveries", params={"event_id": event["id"]}, headers=staff(notify_minter)
            )
            [delivery] = listed.json()["items"]
            assert delivery["status"] == "succeeded" and delivery["attempts"] == 1
            detail = (
                await client.get(f"/v1/deliveries/{delivery['id']}", headers=staff(notify_minter))
            ).json()
            [attempt] = detail["attempt_log"]
            assert attempt["outcome"] == "succeeded" and attempt["status_code"] == 200
            assert attempt["duration_ms"] >= 0


async def test_rotation_sends_both_signatures_and_each_verifies(
    live_notify, receiver, notify_minter, notify_engine
):
    target, url = receiver
    async with live_notify() as app:
        from careplane_shared.testing import asgi_client

        async with asgi_client(app) as client:
            endpoint = await register(client, notify_minter, f"{url}/hooks")
            rotated = await client.post(
                f"/v1/webhook-endpoints/{endpoint['id']}/rotate-secret",
                headers=staff(notify_minter),
            )
            assert rotated.status_code == 200
            new = rotated.json()
            assert new["secret"] != endpoint["secret"] and new["previous_secret_expires_at"]
            await post_event(client, notify_minter, ticket_event())
            await drain(app.state.delivery_worker, notify_engine)
            [request] = target.requests
            signatures = request["headers"]["webhook-signature"].split(" ")
            assert len(signatures) == 2 and all(s.startswith("v1,") for s in signatures)
            for secret in (endpoint["secret"], new["secret"]):
                Webhook(secret).verify(request["body"], request["headers"])
            # Listing never shows a secret again.
            shown = await client.get(
                f"/v1/webhook-endpoints/{endpoint['id']}", headers=staff(notify_minter)
            )
            assert "secret" not in shown.json()


async def test_retries_follow_the_schedule_and_honour_retry_after(
    live_notify, receiver, notify_minter, notify_engine
):
    target, url = receiver
    target.answers = [500, (429, {"retry-after": "120"}, b"slow down"), 200]
    async with live_notify() as app:
        from careplane_shared.testing import asgi_client

        worker = app.state.delivery_worker
        async with asgi_client(app) as client:
            await register(client, notify_minter, f"{url}/hooks")
            event = ticket_event()
            await post_event(client, notify_minter, event)

            assert await worker.run_once() == 1  # 500
            async with notify_engine.connect() as c:
                row = (
                    await c.execute(
                        text(
                            "SELECT status, next_attempt_at - updated_at AS wait, attempts "
                            "FROM deliveries"
                        )
                    )
                ).one()
            assert row.status == "pending" and row.attempts == 1
            assert 4.9 <= row.wait.total_seconds() <= 5.1  # the schedule's 5 s (no jitter here)
            assert await worker.run_once() == 0  # not due yet

            await drain(worker, notify_engine, rounds=1)  # 429 Retry-After: 120
            async with notify_engine.connect() as c:
                wait = await c.scalar(text("SELECT next_attempt_at - updated_at FROM deliveries"))
            assert 119 <= wait.total_seconds() <= 121

            await drain(worker, notify_engine)
            assert len(target.requests) == 3
            ids = {r["headers"]["webhook-id"] for r in target.requests}
            assert ids == {event["id"]}  # stable across retries
            [delivery] = (await client.get("/v1/deliveries", headers=staff(notify_minter))).json()[
                "items"
            ]
            detail = (
                await client.get(f"/v1/deliveries/{delivery['id']}", headers=staff(notify_minter))
            ).json()
            assert [a["outcome"] for a in detail["attempt_log"]] == ["retry", "retry", "succeeded"]
            assert [a["status_code"] for a in detail["attempt_log"]] == [500, 429, 200]
            assert detail["attempt_log"][1]["response_excerpt"] == "slow down"


async def test_410_disables_the_endpoint_and_fails_the_delivery(
    live_notify, receiver, notify_minter, notify_engine
):
    target, url = receiver
    target.default = 410
    async with live_notify() as app:
        from careplane_shared.testing import asgi_client

        async with asgi_client(app) as client:
            endpoint = await register(client, notify_minter, f"{url}/gone")
            await post_event(client, notify_minter, ticket_event())
            await drain(app.state.delivery_worker, notify_engine)
            assert len(target.requests) == 1
            shown = (
                await client.get(
                    f"/v1/webhook-endpoints/{endpoint['id']}", headers=staff(notify_minter)
                )
            ).json()
            assert shown["enabled"] is False and "410" in shown["disabled_reason"]
            [delivery] = (await client.get("/v1/deliveries", headers=staff(notify_minter))).json()[
                "items"
            ]
            assert delivery["status"] == "failed" and delivery["last_status_code"] == 410
            # A disabled endpoint receives no new deliveries.
            await post_event(client, notify_minter, ticket_event())
            listed = await client.get("/v1/deliveries", headers=staff(notify_minter))
            assert listed.json()["total"] == 1


async def test_dead_after_the_last_attempt_then_recovered(
    live_notify, receiver, notify_minter, notify_engine
):
    target, url = receiver
    target.default = 503
    async with live_notify() as app:
        from careplane_shared.testing import asgi_client

        async with asgi_client(app) as client:
            await register(client, notify_minter, f"{url}/down")
            await post_event(client, notify_minter, ticket_event())
            await drain(app.state.delivery_worker, notify_engine)
            assert len(target.requests) == 10  # immediately + the nine retries of the schedule
            [delivery] = (
                await client.get(
                    "/v1/deliveries", params={"status": "dead"}, headers=staff(notify_minter)
                )
            ).json()["items"]
            assert delivery["attempts"] == 10

            target.default = 200
            recovered = await client.post(
                "/v1/deliveries/recover",
                json={"since": "2000-01-01T00:00:00Z"},
                headers=staff(notify_minter),
            )
            assert recovered.json() == {"requeued": 1}
            await drain(app.state.delivery_worker, notify_engine)
            assert len(target.requests) == 11
            shown = (
                await client.get(f"/v1/deliveries/{delivery['id']}", headers=staff(notify_minter))
            ).json()
            assert shown["status"] == "succeeded" and shown["attempt_log"][-1]["outcome"] == (
                "succeeded"
            )

            resent = await client.post(
                f"/v1/deliveries/{delivery['id']}/resend", headers=staff(notify_minter)
            )
            assert resent.status_code == 200 and resent.json()["status"] == "pending"
            await drain(app.state.delivery_worker, notify_engine)
            assert len(target.requests) == 12
            assert target.requests[-1]["headers"]["webhook-id"] == delivery["event_id"]


async def test_customer_endpoints_get_only_their_own_customers_events(
    live_notify, receiver, notify_minter, notify_engine
):
    import uuid

    target, url = receiver
    mine, theirs = uuid.uuid4(), uuid.uuid4()
    admin_of_mine = notify_minter.headers(Role.CUSTOMER_ADMIN, customer_id=mine)
    async with live_notify() as app:
        from careplane_shared.testing import asgi_client

        async with asgi_client(app) as client:
            own = await client.post(
                "/v1/webhook-endpoints",
                # customer_id in the body is ignored for a customer's own administrator
                json={"url": f"{url}/mine", "event_types": ["*"], "customer_id": str(theirs)},
                headers=admin_of_mine,
            )
            assert own.status_code == 201 and own.json()["customer_id"] == str(mine)
            await register(client, notify_minter, f"{url}/global", types=("ticket.opened",))
            await register(
                client, notify_minter, f"{url}/theirs", types=("*",), customer_id=str(theirs)
            )
            await post_event(client, notify_minter, ticket_event(customer_id=mine))
            await post_event(client, notify_minter, ticket_event(customer_id=theirs))
            await drain(app.state.delivery_worker, notify_engine)
            paths = sorted(r["path"] for r in target.requests)
            assert paths == ["/global", "/global", "/mine", "/theirs"]
            mine_body = json.loads(next(r for r in target.requests if r["path"] == "/mine")["body"])
            assert mine_body["data"]["customer_id"] == str(mine)

            # The customer's admin sees only its own endpoint and its deliveries (not those to
            # the vendor's global endpoint, nor another customer's).
            listed = await client.get("/v1/webhook-endpoints", headers=admin_of_mine)
            assert [e["url"] for e in listed.json()["items"]] == [f"{url}/mine"]
            deliveries = await client.get("/v1/deliveries", headers=admin_of_mine)
            assert deliveries.json()["total"] == 1
            assert {d["customer_id"] for d in deliveries.json()["items"]} == {str(mine)}
            others = await client.get("/v1/deliveries", headers=staff(notify_minter))
            foreign = next(d for d in others.json()["items"] if d["customer_id"] == str(theirs))
            hidden = await client.get(f"/v1/deliveries/{foreign['id']}", headers=admin_of_mine)
            assert hidden.status_code == 404


async def test_the_in_process_worker_delivers_on_its_own(live_notify, receiver, notify_minter):
    """As in `make run`: workers started by the lifespan pick up what the intake queued."""
    import asyncio

    from careplane_shared.testing import asgi_client

    target, url = receiver
    async with (
        live_notify(run_workers=True, delivery_poll_seconds=0.05) as app,
        asgi_client(app) as client,
    ):
        endpoint = await register(client, notify_minter, f"{url}/hooks")
        event = ticket_event()
        await post_event(client, notify_minter, event)
        for _ in range(100):
            if target.requests:
                break
            await asyncio.sleep(0.05)
        [request] = target.requests
        Webhook(endpoint["secret"]).verify(request["body"], request["headers"])
