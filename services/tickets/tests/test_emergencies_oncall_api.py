"""Emergencies (seeds 001, 003) and the on-call rota through the API on real PostgreSQL,
with the real contracts app answering which plans include and bill emergencies."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from careplane_shared.settings import dev_secret
from tickets.models import outbox_events
from tickets.visits.models import Emergency


def _case(ids, **extra):
    return {
        "product_id": ids["tideway"],
        "version": "3.1",
        "subject": "Every gateway is down",
        "description": "No site reaches the network since 04:00.",
        **extra,
    }


def _error(response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


async def _events(connection, type_):
    rows = (
        await connection.execute(
            select(outbox_events.c.envelope).where(outbox_events.c.type == type_)
        )
    ).all()
    return list({r.envelope["id"]: r.envelope for r in rows}.values())


async def _shift(live, manager, center, email, *, hours_back=1, hours=8):
    start = datetime.now(UTC) - timedelta(hours=hours_back)
    response = await live.post(
        "/v1/oncall-shifts",
        json={
            "support_center": center,
            "staff_email": email,
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=hours)).isoformat(),
        },
        headers=manager,
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_an_emergency_alerts_the_on_call_staff_and_is_billed_per_call(
    live, login, demo_ids, tickets_connection, contracts_client
):
    manager = await login("manager@example.com")
    await _shift(live, manager, "wallingford", "agent@example.com")
    await _shift(live, manager, "broomfield", "admin@example.com")
    dan = await login("dan@delta.example")  # Delta Secure: Infotecs Basic + Premium
    case = (await live.post("/v1/tickets", json=_case(demo_ids), headers=dan)).json()
    path = f"/v1/tickets/{case['id']}/emergency"
    response = await live.post(path, json={"reason": "All sites offline"}, headers=dan)
    assert response.status_code == 201, response.text
    emergency = response.json()
    # Whom it alerted is staff's to know: the customer sees that it is billed, not who.
    assert (emergency["billable"], emergency["alerted"]) == (True, None)
    agent = await login("agent@example.com")
    staff_view = (await live.get(f"/v1/tickets/{case['id']}/emergency", headers=agent)).json()
    assert staff_view["alerted"] == ["agent@example.com"]
    assert emergency["support_center"] == "wallingford"
    [event] = await _events(tickets_connection, "ticket.emergency")
    assert (event["data"]["number"], event["data"]["on_call"]) == (
        case["number"],
        ["agent@example.com"],
    )
    assert event["data"]["emergency"] is True
    [billed] = await _events(tickets_connection, "ticket.billable_activity")
    assert billed["data"]["kind"] == "emergency_call"
    assert billed["data"]["ticket_id"] == case["id"]
    assert billed["data"]["agreement_id"] == emergency["billed_agreement_id"]
    # Delivered to contracts' inbox as the relay delivers it: one billable item, per call.
    token = await contracts_client.post(
        "/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "svc-tickets",
            "client_secret": dev_secret("svc-tickets"),
        },
    )
    service = {"Authorization": f"Bearer {token.json()['access_token']}"}
    delivered = await contracts_client.post("/v1/events", json=billed, headers=service)
    assert delivered.status_code in (200, 202), delivered.text
    admin = await login("admin@example.com")
    items = (
        await contracts_client.get(
            "/v1/billable-items",
            params={"customer_id": demo_ids["Delta Secure"], "kind": "emergency_call"},
            headers=admin,
        )
    ).json()["items"]
    assert [(i["ticket_id"], i["unit"], i["agreement_id"]) for i in items] == [
        (case["id"], "call", emergency["billed_agreement_id"])
    ]
    # Once per case; readable by the customer and staff.
    again = await live.post(path, json={"reason": "Still offline"}, headers=dan)
    assert _error(again) == (409, "EMERGENCY_ALREADY_DECLARED")
    assert (await live.get(path, headers=dan)).json()["id"] == emergency["id"]
    history = (await live.get(f"/v1/tickets/{case['id']}/history", headers=dan)).json()
    assert "EMERGENCY" in [h["kind"] for h in history]


async def test_an_emergency_where_the_plan_includes_it_unbilled(
    live, login, demo_ids, tickets_connection
):
    bo = await login("bo@borealis.example")  # InfraCare: emergency line, not billed
    case = (await live.post("/v1/tickets", json=_case(demo_ids), headers=bo)).json()
    response = await live.post(
        f"/v1/tickets/{case['id']}/emergency", json={"reason": "Outage"}, headers=bo
    )
    assert response.status_code == 201, response.text
    assert (response.json()["billable"], response.json()["alerted"]) == (False, None)
    agent = await login("agent@example.com")
    staff_view = await live.get(f"/v1/tickets/{case['id']}/emergency", headers=agent)
    assert staff_view.json()["alerted"] == []
    assert await _events(tickets_connection, "ticket.billable_activity") == []


async def test_an_emergency_on_a_plan_without_it_is_refused(
    live, login, demo_ids, tickets_connection
):
    ana = await login("ana@acme-water.example")  # InfoCare: no emergencies
    case = (await live.post("/v1/tickets", json=_case(demo_ids), headers=ana)).json()
    path = f"/v1/tickets/{case['id']}/emergency"
    assert _error(await live.post(path, json={"reason": "x"}, headers=ana)) == (
        422,
        "EMERGENCY_NOT_IN_PLAN",
    )
    assert _error(await live.get(path, headers=ana)) == (404, "EMERGENCY_NOT_FOUND")
    # Another customer's case answers as an unknown one.
    bo = await login("bo@borealis.example")
    assert _error(await live.post(path, json={"reason": "x"}, headers=bo)) == (
        404,
        "TICKET_NOT_FOUND",
    )
    assert (await tickets_connection.execute(select(Emergency.id))).all() == []
    assert await _events(tickets_connection, "ticket.emergency") == []


async def test_the_rota_is_written_by_managers_and_read_by_staff_only(live, login):
    manager = await login("manager@example.com")
    agent = await login("agent@example.com")
    bo = await login("bo@borealis.example")
    body = {
        "support_center": "brisbane",
        "staff_email": "agent@example.com",
        "starts_at": "2026-12-07T22:00:00+00:00",
        "ends_at": "2026-12-08T06:00:00+00:00",
    }
    assert _error(await live.post("/v1/oncall-shifts", json=body, headers=agent)) == (
        403,
        "ROLE_FORBIDDEN",
    )
    unknown = {**body, "support_center": "atlantis"}
    assert _error(await live.post("/v1/oncall-shifts", json=unknown, headers=manager)) == (
        422,
        "SUPPORT_CENTER_UNKNOWN",
    )
    backwards = {**body, "ends_at": body["starts_at"]}
    assert _error(await live.post("/v1/oncall-shifts", json=backwards, headers=manager)) == (
        422,
        "ONCALL_SHIFT_WINDOW_INVALID",
    )
    shift = (await live.post("/v1/oncall-shifts", json=body, headers=manager)).json()
    assert _error(await live.get("/v1/oncall-shifts", headers=bo)) == (403, "ROLE_FORBIDDEN")
    assert _error(await live.get(f"/v1/oncall-shifts/{shift['id']}", headers=bo)) == (
        403,
        "ROLE_FORBIDDEN",
    )
    listed = (await live.get("/v1/oncall-shifts?support_center=brisbane", headers=agent)).json()
    assert [s["id"] for s in listed["items"]] == [shift["id"]]
    # Who is on call, in Brisbane's own time (UTC+10, no daylight saving).
    now = await live.get(
        "/v1/oncall-shifts/on-call",
        params={"support_center": "brisbane", "at": "2026-12-08T01:00:00+00:00"},
        headers=agent,
    )
    assert now.json()["staff"] == ["agent@example.com"]
    assert now.json()["timezone"] == "Australia/Brisbane"
    assert now.json()["local_time"].startswith("2026-12-08T11:00:00")
    # The calendar: the shift spans Brisbane's 8 December 08:00-16:00.
    calendar = (
        await live.get(
            "/v1/oncall-shifts/calendar",
            params={"support_center": "brisbane", "start": "2026-12-08", "days": 2},
            headers=agent,
        )
    ).json()
    first, second = calendar["days"]
    assert (first["day"], [s["id"] for s in first["shifts"]]) == ("2026-12-08", [shift["id"]])
    assert first["uncovered_minutes"] == 24 * 60 - 8 * 60
    assert (second["shifts"], second["uncovered_minutes"]) == ([], 24 * 60)
    moved = await live.patch(
        f"/v1/oncall-shifts/{shift['id']}",
        json={"staff_email": "Manager@Example.com"},
        headers=manager,
    )
    assert moved.json()["staff_email"] == "manager@example.com"
    deleted = await live.delete(f"/v1/oncall-shifts/{shift['id']}", headers=manager)
    assert deleted.status_code == 204
    assert _error(await live.get(f"/v1/oncall-shifts/{shift['id']}", headers=agent)) == (
        404,
        "ONCALL_SHIFT_NOT_FOUND",
    )
    assert _error(await live.get(f"/v1/oncall-shifts/{uuid.uuid4()}", headers=agent)) == (
        404,
        "ONCALL_SHIFT_NOT_FOUND",
    )
    assert date.fromisoformat(first["day"]) == date(2026, 12, 8)
