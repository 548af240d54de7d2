"""The REST API on a rolled-back transaction: access rules, validation, routing records."""

from __future__ import annotations

import uuid

from notify_testkit import post_event, staff, ticket_event
from sqlalchemy import text

from careplane_shared.auth import Role
from careplane_shared.testing.pieces import NOTIFY


async def test_private_targets_are_refused_unless_allowed(
    notify_database, notify_connection, notify_minter
):
    settings = NOTIFY.settings(notify_database)
    verifier = notify_minter.verifier()
    async with NOTIFY.client(settings, notify_connection, token_verifier=verifier) as client:
        refused = await client.post(
            "/v1/webhook-endpoints",
            json={"url": "http://169.254.169.254/latest", "event_types": ["ticket.opened"]},
            headers=staff(notify_minter),
        )
        assert refused.status_code == 422
        assert refused.json()["error"]["code"] == "PRIVATE_TARGET"
        scheme = await client.post(
            "/v1/webhook-endpoints",
            json={"url": "file:///etc/passwd", "event_types": ["ticket.opened"]},
            headers=staff(notify_minter),
        )
        assert scheme.json()["error"]["code"] == "UNSUPPORTED_SCHEME"


async def test_who_may_manage_webhooks(notify_client, notify_minter):
    body = {"url": "https://crm.example.com/hook", "event_types": ["ticket.opened"]}
    contact = notify_minter.headers(Role.CONTACT, customer_id=uuid.uuid4())
    assert (
        await notify_client.post("/v1/webhook-endpoints", json=body, headers=contact)
    ).status_code == 403
    assert (await notify_client.post("/v1/webhook-endpoints", json=body)).status_code == 401
    key = notify_minter.headers(
        Role.INTEGRATION, customer_id=(customer := uuid.uuid4()), scope="notify:write"
    )
    made = await notify_client.post("/v1/webhook-endpoints", json=body, headers=key)
    assert made.status_code == 201 and made.json()["customer_id"] == str(customer)
    endpoint = made.json()
    other_admin = notify_minter.headers(Role.CUSTOMER_ADMIN, customer_id=uuid.uuid4())
    for method, path in (
        ("GET", f"/v1/webhook-endpoints/{endpoint['id']}"),
        ("POST", f"/v1/webhook-endpoints/{endpoint['id']}/rotate-secret"),
        ("DELETE", f"/v1/webhook-endpoints/{endpoint['id']}"),
    ):
        answer = await notify_client.request(method, path, headers=other_admin)
        assert answer.status_code == 404, (method, path)
    bad = await notify_client.post(
        "/v1/webhook-endpoints",
        json={**body, "event_types": ["Ticket Opened"]},
        headers=staff(notify_minter),
    )
    assert bad.status_code == 422


async def test_update_disable_enable_and_delete(notify_client, notify_minter):
    made = (
        await notify_client.post(
            "/v1/webhook-endpoints",
            json={"url": "https://crm.example.com/hook", "event_types": ["ticket.opened"]},
            headers=staff(notify_minter),
        )
    ).json()
    path = f"/v1/webhook-endpoints/{made['id']}"
    off = await notify_client.patch(path, json={"enabled": False}, headers=staff(notify_minter))
    assert off.json()["enabled"] is False
    on = await notify_client.patch(
        path,
        json={"enabled": True, "event_types": ["ticket.closed", "ticket.closed", "*"]},
        headers=staff(notify_minter),
    )
    assert on.json()["enabled"] is True and on.json()["event_types"] == ["*", "ticket.closed"]
    listed = await notify_client.get("/v1/webhook-endpoints", headers=staff(notify_minter))
    assert listed.json()["total"] == 1
    assert (await notify_client.delete(path, headers=staff(notify_minter))).status_code == 204
    assert (await notify_client.get(path, headers=staff(notify_minter))).status_code == 404


async def test_intake_records_deliveries_in_its_own_transaction(
    notify_client, notify_minter, notify_connection
):
    await notify_client.post(
        "/v1/webhook-endpoints",
        json={"url": "https://crm.example.com/hook", "event_types": ["ticket.opened"]},
        headers=staff(notify_minter),
    )
    await notify_client.post(
        "/v1/chat-channels",
        json={
            "kind": "slack",
            "name": "#support",
            "webhook_url": "https://hooks.slack.com/services/T/B/X",
            "event_types": ["ticket.opened", "sla.breached"],
        },
        headers=staff(notify_minter),
    )
    event = ticket_event(contact_id=uuid.uuid4())
    assert (await post_event(notify_client, notify_minter, event)).status_code == 202
    rows = (
        await notify_connection.execute(
            text("SELECT channel, status FROM deliveries WHERE event_id = :id ORDER BY channel"),
            {"id": event["id"]},
        )
    ).all()
    assert [tuple(r) for r in rows] == [
        ("email", "pending"),
        ("slack", "pending"),
        ("webhook", "pending"),
    ]
    listed = await notify_client.get(
        "/v1/deliveries",
        params={"event_id": event["id"], "limit": 2},
        headers=staff(notify_minter),
    )
    assert listed.json()["total"] == 3 and len(listed.json()["items"]) == 2


async def test_lifecycle_changes_schedule_announcements_and_replan(
    notify_client, notify_minter, notify_connection
):
    product = str(uuid.uuid4())

    def lifecycle(before, after):
        return {
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "source": "contracts",
            "type": "lifecycle.milestones_changed",
            "data": {
                "product_id": product,
                "product_name": "Tideway",
                "major": 3,
                "changed": ["EOS"],
                "before": before,
                "after": after,
            },
        }

    service = notify_minter.headers(Role.SERVICE)
    first = lifecycle(
        {"GA": "2024-09-01", "EOS": None, "EOMS": None, "EOL": None},
        {"GA": "2024-09-01", "EOS": "2031-06-30", "EOMS": "2032-06-30", "EOL": "2033-06-30"},
    )
    moved = lifecycle(
        first["data"]["after"],
        {"GA": "2024-09-01", "EOS": "2031-12-31", "EOMS": "2032-12-31", "EOL": "2033-12-31"},
    )
    for event in (first, moved):
        assert (
            await notify_client.post("/v1/events", json=event, headers=service)
        ).status_code == 202
    rows = (
        await notify_connection.execute(
            text(
                "SELECT milestone, milestone_date::text, announce_at::date::text, status "
                "FROM announcements ORDER BY milestone, milestone_date"
            )
        )
    ).all()
    assert [tuple(r) for r in rows] == [
        ("EOL", "2033-06-30", "2032-12-30", "superseded"),
        ("EOL", "2033-12-31", "2033-06-30", "scheduled"),
        ("EOMS", "2032-06-30", "2031-12-30", "superseded"),
        ("EOMS", "2032-12-31", "2032-06-30", "scheduled"),
        ("EOS", "2031-06-30", "2030-12-30", "superseded"),
        ("EOS", "2031-12-31", "2031-06-30", "scheduled"),
    ]
