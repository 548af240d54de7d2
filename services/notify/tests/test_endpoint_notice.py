"""An endpoint disabled after days of failure: its owner is told once, by mail through a real
SMTP server (a customer's administrators, read from the real contracts app; staff for a
global endpoint)."""

from __future__ import annotations

from notify_testkit import drain, post_event, staff, ticket_event
from sqlalchemy import text

from careplane_shared.auth import Role
from careplane_shared.testing import asgi_client


async def test_the_owner_of_an_auto_disabled_endpoint_is_told_once(
    live_notify,
    receiver,
    smtp_server,
    contracts_transport,
    demo_contacts,
    notify_minter,
    notify_engine,
):
    target, url = receiver
    target.default = 503
    inbox, port = smtp_server
    borealis = demo_contacts["bo@borealis.example"]["customer_id"]
    async with (
        live_notify(
            smtp_port=port,
            contracts_transport=contracts_transport,
            staff_addresses=["integrations@v.example"],
        ) as app,
        asgi_client(app) as client,
    ):
        admin = notify_minter.headers(Role.CUSTOMER_ADMIN, customer_id=borealis)
        own = await client.post(
            "/v1/webhook-endpoints",
            json={"url": f"{url}/borealis", "event_types": ["ticket.escalated"]},
            headers=admin,
        )
        shared = await client.post(
            "/v1/webhook-endpoints",
            json={"url": f"{url}/crm", "event_types": ["ticket.escalated"]},
            headers=staff(notify_minter),
        )
        assert own.status_code == shared.status_code == 201
        await post_event(
            client, notify_minter, ticket_event("ticket.escalated", customer_id=borealis)
        )
        worker = app.state.delivery_worker
        assert await worker.run_once() == 2  # both fail: failing since now
        # Days pass with every delivery failing.
        async with notify_engine.begin() as c:
            await c.execute(
                text("UPDATE webhook_endpoints SET failing_since = now() - interval '6 days'")
            )
        await drain(worker, notify_engine)
        # More failures and more events: no second notice.
        await post_event(
            client, notify_minter, ticket_event("ticket.escalated", customer_id=borealis)
        )
        await drain(worker, notify_engine)
        listed = await client.get("/v1/webhook-endpoints", headers=staff(notify_minter))
        endpoints = {e["url"]: e for e in listed.json()["items"]}
        notices = (
            await client.get(
                "/v1/deliveries",
                params={"event_type": "webhook_endpoint.disabled"},
                headers=staff(notify_minter),
            )
        ).json()
        seen_by_admin = (
            await client.get(
                "/v1/deliveries",
                params={"event_type": "webhook_endpoint.disabled"},
                headers=admin,
            )
        ).json()

    assert all(not e["enabled"] for e in endpoints.values())
    assert "failed for 5 days" in endpoints[f"{url}/borealis"]["disabled_reason"]
    by_to = {m["To"]: m for m in inbox.messages}
    # Borealis's administrator (not Ben) for its own endpoint; staff for the global one.
    assert sorted(by_to) == ["bo@borealis.example", "integrations@v.example"]
    customer_notice = by_to["bo@borealis.example"]
    assert customer_notice["Subject"] == f"Webhook endpoint disabled: {url}/borealis"
    body = customer_notice.get_body(("plain",)).get_content()
    assert body.startswith("Dear Borealis Health,") and own.json()["id"] in body
    assert by_to["integrations@v.example"]["Subject"] == f"Webhook endpoint disabled: {url}/crm"
    assert notices["total"] == 2
    assert [d["target"] for d in seen_by_admin["items"]] == [f"customer:{borealis}"]
