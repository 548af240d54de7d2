"""``POST /v1/sla/simulate``: hand-worked due times, and the same answers as live tickets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest


@pytest.fixture
async def plans(contracts_client, login):
    headers = await login("admin@example.com")
    return {
        p["code"]: p["id"]
        for p in (await contracts_client.get("/v1/plans", headers=headers)).json()
    }


async def test_invantive_category_one_on_a_friday_afternoon(live, login, plans):
    manager = await login("manager@example.com")
    # Friday 20 Nov 2026, 16:30 in Amsterdam (CET, UTC+1): 30 business minutes left that day;
    # the other 450 of the 480 run from Monday 09:00 and end Monday 16:30 CET = 15:30 UTC.
    response = await live.post(
        "/v1/sla/simulate",
        json={
            "plan_id": plans["invantive-subscription"],
            "priority": "I",
            "received_at": "2026-11-20T15:30:00Z",
            "as_of": "2026-11-20T15:31:00Z",
        },
        headers=manager,
    )
    assert response.status_code == 200, response.text
    first, resolution = response.json()
    assert first["metric"] == "FIRST_RESPONSE" and first["target_minutes"] == 480
    assert first["due_at"].startswith("2026-11-23T15:30:00")
    # 4800 business minutes = 10 business days: from Friday 16:30, 30 min on Friday, then
    # 9 full days (Mon 23 Nov .. Thu 3 Dec) = 4320, leaving 450: Friday 4 Dec 16:30 CET.
    assert resolution["due_at"].startswith("2026-12-04T15:30:00")


async def test_infocare_follows_the_customers_support_center(live, login, plans, demo_ids):
    manager = await login("manager@example.com")
    body = {
        "plan_id": plans["infocare"],
        "priority": "HIGH",
        "received_at": "2026-11-23T15:00:00Z",  # Monday 08:00 in Denver
        "customer_id": demo_ids["Acme Water"],
        "as_of": "2026-11-23T15:00:00Z",
    }
    first = (await live.post("/v1/sla/simulate", json=body, headers=manager)).json()[0]
    assert first["due_at"].startswith("2026-11-23T17:00:00")  # 10:00 in Denver


async def test_simulation_input_is_checked(live, login, plans):
    manager = await login("manager@example.com")
    bad = [
        (
            {
                "plan_id": plans["infocare"],
                "priority": "URGENT",
                "received_at": "2026-11-23T15:00:00Z",
            },
            422,
            "PRIORITY_UNKNOWN",
        ),
        (
            {"plan_id": plans["infocare"], "priority": "LOW", "received_at": "2026-11-23T15:00:00"},
            422,
            "VALIDATION_ERROR",
        ),
        (
            {
                "plan_id": "00000000-0000-0000-0000-000000000000",
                "priority": "LOW",
                "received_at": "2026-11-23T15:00:00Z",
            },
            404,
            "PLAN_NOT_FOUND",
        ),
        (
            {
                "plan_id": plans["infocare"],
                "priority": "LOW",
                "received_at": "2026-11-23T15:00:00Z",
                "as_of": "2026-11-22T15:00:00Z",
            },
            422,
            "SIMULATION_INVALID",
        ),
    ]
    for body, status_code, code in bad:
        response = await live.post("/v1/sla/simulate", json=body, headers=manager)
        assert (response.status_code, response.json()["error"]["code"]) == (status_code, code), body
    ana = await login("ana@acme-water.example")
    response = await live.post("/v1/sla/simulate", json=bad[0][0], headers=ana)
    assert response.status_code == 403


async def test_simulation_gives_the_same_clocks_as_a_live_ticket(live, login, demo_ids, plans):
    agent = await login("agent@example.com")
    ana = await login("ana@acme-water.example")
    received = datetime.now(UTC) - timedelta(days=3)
    ticket = (
        await live.post(
            "/v1/tickets",
            json={
                "contact_id": demo_ids["ana@acme-water.example"],
                "product_id": demo_ids["tideway"],
                "version": "3.1",
                "subject": "Export fails",
                "description": "Exporting to GIS fails.",
                "priority": "NORMAL",
                "received_at": received.isoformat(),
            },
            headers=agent,
        )
    ).json()
    path = f"/v1/tickets/{ticket['id']}"
    await live.post(f"{path}/messages", json={"body": "Which GIS version?"}, headers=agent)
    await live.post(f"{path}/status", json={"status": "PENDING"}, headers=agent)
    await live.post(f"{path}/messages", json={"body": "ArcGIS 11"}, headers=ana)
    await live.post(
        f"{path}/priority", json={"priority": "HIGH", "reason": "blocks invoicing"}, headers=agent
    )
    live_view = (await live.get(path, headers=agent)).json()

    history = (await live.get(f"{path}/history", headers=agent)).json()
    kinds = {"STAFF_REPLY", "CUSTOMER_REPLY", "STATUS_CHANGE", "PRIORITY_CHANGE"}
    events = [
        {
            "at": h["at"],
            "kind": h["kind"],
            **({"status": h["to_value"]} if h["kind"] == "STATUS_CHANGE" else {}),
            **({"priority": h["to_value"]} if h["kind"] == "PRIORITY_CHANGE" else {}),
        }
        for h in history
        if h["kind"] in kinds
    ]
    simulated = (
        await live.post(
            "/v1/sla/simulate",
            json={
                "plan_id": plans["infocare"],
                "customer_id": demo_ids["Acme Water"],
                "priority": "NORMAL",
                "received_at": ticket["received_at"],
                "events": events,
                "as_of": datetime.now(UTC).isoformat(),
            },
            headers=agent,
        )
    ).json()

    def essentials(clocks):
        return [
            (
                c["metric"],
                c["cycle"],
                c["target_minutes"],
                c["started_at"],
                c["due_at"],
                c["stopped_at"],
                c["breached"],
            )
            for c in clocks
        ]

    assert [c["metric"] for c in live_view["sla"]] == [
        "FIRST_RESPONSE",
        "NEXT_RESPONSE",
        "RESOLUTION",
    ]
    assert essentials(simulated) == essentials(live_view["sla"])
