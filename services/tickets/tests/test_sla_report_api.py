"""SLA attainment per period, plan and customer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


async def _open(live, headers, ids, received_at, email="cora@cobalt.example", priority="I"):
    body = {
        "contact_id": ids[email],
        "product_id": ids["tideway"],
        "version": "3.1",
        "subject": "Report case",
        "description": "For the attainment report.",
        "priority": priority,
        "received_at": received_at.isoformat(),
    }
    response = await live.post("/v1/tickets", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_attainment_as_share_within_target_and_average_against_commitment(
    live, login, demo_ids
):
    agent = await login("agent@example.com")
    now = datetime.now(UTC)
    met = await _open(live, agent, demo_ids, now - timedelta(minutes=1))
    late = await _open(live, agent, demo_ids, now - timedelta(days=14))
    running = await _open(live, agent, demo_ids, now - timedelta(minutes=2))
    other_customer = await _open(
        live, agent, demo_ids, now - timedelta(minutes=3), "ana@acme-water.example", "HIGH"
    )
    for ticket in (met, late, other_customer):
        await live.post(
            f"/v1/tickets/{ticket['id']}/messages", json={"body": "Looking into it."}, headers=agent
        )

    params = {
        "from": (now - timedelta(days=30)).isoformat(),
        "to": (now + timedelta(minutes=1)).isoformat(),
    }
    report = (await live.get("/v1/sla/report", params=params, headers=agent)).json()
    assert report["tickets"] == 4
    first = next(m for m in report["metrics"] if m["metric"] == "FIRST_RESPONSE")
    assert (first["total"], first["within_target"], first["breached"], first["running"]) == (
        4,
        2,
        1,
        1,
    )
    assert first["percent_within"] == round(100 * 2 / 3, 2)
    assert {p["plan_code"] for p in report["plans"]} == {"invantive-subscription", "infocare"}

    cobalt = (
        await live.get(
            "/v1/sla/report",
            params={**params, "customer_id": demo_ids["Cobalt Logistics"]},
            headers=agent,
        )
    ).json()
    assert cobalt["tickets"] == 3
    invantive = cobalt["plans"][0]
    assert invantive["plan_code"] == "invantive-subscription"
    first = invantive["metrics"][0]
    # Commitment for Cat I: 480 business minutes; the late case took far longer.
    assert first["average_target_minutes"] == 480.0
    assert first["average_minutes"] > 480.0
    assert running["sla"][0]["stopped_at"] is None


async def test_report_access_and_bad_periods(live, login, demo_ids):
    now = datetime.now(UTC)
    params = {"from": (now - timedelta(days=1)).isoformat(), "to": now.isoformat()}
    ben = await login("ben@borealis.example")
    response = await live.get("/v1/sla/report", params=params, headers=ben)
    assert (response.status_code, response.json()["error"]["code"]) == (403, "ROLE_FORBIDDEN")

    # A customer administrator sees its own customer's figures, whatever it asks for.
    bo = await login("bo@borealis.example")
    response = await live.get(
        "/v1/sla/report", params={**params, "customer_id": demo_ids["Cobalt Logistics"]}, headers=bo
    )
    assert (
        response.status_code == 200
        and response.json()["customer_id"] == demo_ids["Borealis Health"]
    )

    agent = await login("agent@example.com")
    swapped = {"from": params["to"], "to": params["from"]}
    response = await live.get("/v1/sla/report", params=swapped, headers=agent)
    assert (response.status_code, response.json()["error"]["code"]) == (422, "PERIOD_OUT_OF_ORDER")
    response = await live.get(
        "/v1/sla/report",
        params={"from": "2026-11-01T00:00:00", "to": "2026-11-02T00:00:00"},
        headers=agent,
    )
    assert (response.status_code, response.json()["error"]["code"]) == (422, "PERIOD_INVALID")
