"""A maintenance window shown to a customer names that customer alone: no other customer's id,
name, addresses or count, whether it asks as a person or through a key bound to it; staff see
every recipient. Customers from the real contracts app."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from notify_testkit import staff

from careplane_shared.auth import Role
from careplane_shared.testing import asgi_client


async def test_a_customer_sees_only_itself_among_those_told(
    live_notify, contracts_transport, demo_contacts, notify_minter
):
    acme = demo_contacts["ana@acme-water.example"]["customer_id"]
    borealis = demo_contacts["bo@borealis.example"]["customer_id"]
    starts = datetime.now(UTC) + timedelta(days=3)
    body = {
        "title": "Storage migration",
        "description": "Attachments are read-only for an hour.",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=1)).isoformat(),
        "customer_ids": [acme, borealis],
    }
    acme_callers = {
        "admin": notify_minter.headers(Role.CUSTOMER_ADMIN, customer_id=acme),
        "contact": notify_minter.headers(Role.CONTACT, customer_id=acme),
        "bound key": notify_minter.headers(Role.INTEGRATION, customer_id=acme, scope="notify:read"),
    }
    async with (
        live_notify(contracts_transport=contracts_transport) as app,
        asgi_client(app) as client,
    ):
        made = await client.post("/v1/maintenance-windows", json=body, headers=staff(notify_minter))
        assert made.status_code == 201, made.text
        window = made.json()
        only_borealis = await client.post(
            "/v1/maintenance-windows",
            json={**body, "title": "Borealis only", "customer_ids": [borealis]},
            headers=staff(notify_minter),
        )
        assert only_borealis.status_code == 201, only_borealis.text
        staff_view = (
            await client.get(
                f"/v1/maintenance-windows/{window['id']}", headers=staff(notify_minter)
            )
        ).json()
        seen = {}
        for who, headers in acme_callers.items():
            detail = await client.get(f"/v1/maintenance-windows/{window['id']}", headers=headers)
            listed = await client.get("/v1/maintenance-windows", headers=headers)
            other = await client.get(
                f"/v1/maintenance-windows/{only_borealis.json()['id']}", headers=headers
            )
            seen[who] = (detail, listed, other)

    assert sorted(window["customer_ids"]) == sorted([acme, borealis])
    assert staff_view["customers"] == 2
    assert {r["customer_id"] for r in staff_view["recipients"]} == {acme, borealis}
    for who, (detail, listed, other) in seen.items():
        assert detail.status_code == 200, (who, detail.text)
        shown = detail.json()
        assert shown["customer_ids"] == [acme], who
        assert shown["customers"] == 1, who
        assert [r["customer_id"] for r in shown["recipients"]] == [acme], who
        assert borealis not in detail.text and "Borealis" not in detail.text, who
        assert "bo@borealis.example" not in detail.text, who
        assert listed.status_code == 200, (who, listed.text)
        [item] = listed.json()["items"]
        assert item["id"] == window["id"] and item["customer_ids"] == [acme], who
        assert borealis not in listed.text, who
        # A window Acme was not told of is not found, exactly like an unknown id.
        assert other.status_code == 404, who
        assert other.json()["error"]["code"] == "MAINTENANCE_WINDOW_NOT_FOUND", who
