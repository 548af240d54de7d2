"""Time entries through the API on real PostgreSQL: staff record time; billable time goes to
contracts as an event that contracts records as an other-support item, and is frozen."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from careplane_shared.settings import dev_secret
from careplane_shared.testing import bearer
from tickets.models import outbox_events


async def _case(live, headers, ids) -> dict[str, Any]:
    body = {
        "product_id": ids["tideway"],
        "version": "3.1",
        "subject": "Time case",
        "description": "Work to record.",
    }
    response = await live.post("/v1/tickets", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def _billable_events(connection) -> list[dict[str, Any]]:
    rows = await connection.execute(
        select(outbox_events.c.envelope).where(
            outbox_events.c.type == "ticket.billable_activity",
            outbox_events.c.destination == "contracts",
        )
    )
    return [r.envelope for r in rows]


async def test_staff_record_edit_and_remove_time(live, login, demo_ids, tickets_connection):
    ana, agent = await login("ana@acme-water.example"), await login("agent@example.com")
    ticket = await _case(live, ana, demo_ids)
    path = f"/v1/tickets/{ticket['id']}/time-entries"
    created = await live.post(
        path, json={"minutes": 25, "activity": "investigation", "note": "logs"}, headers=agent
    )
    assert created.status_code == 201, created.text
    entry = created.json()
    assert (entry["minutes"], entry["billable"], entry["billed_minutes"]) == (25, False, None)
    assert entry["agent_email"] == "agent@example.com"

    changed = await live.patch(f"{path}/{entry['id']}", json={"minutes": 40}, headers=agent)
    assert changed.status_code == 200 and changed.json()["minutes"] == 40
    listed = (await live.get(path, headers=agent)).json()
    assert (listed["total"], listed["total_minutes"], listed["billable_minutes"]) == (1, 40, 0)
    assert await _billable_events(tickets_connection) == []

    removed = await live.delete(f"{path}/{entry['id']}", headers=agent)
    assert removed.status_code == 204
    missing = await live.delete(f"{path}/{entry['id']}", headers=agent)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "TIME_ENTRY_NOT_FOUND")
    future = await live.post(
        path,
        json={"minutes": 5, "activity": "communication", "worked_at": "2999-01-01T00:00:00Z"},
        headers=agent,
    )
    assert (future.status_code, future.json()["error"]["code"]) == (422, "WORKED_AT_IN_FUTURE")
    too_long = await live.post(path, json={"minutes": 0, "activity": "other"}, headers=agent)
    assert too_long.status_code == 422


async def test_billable_time_goes_to_contracts_rounded_and_is_frozen(
    live, login, demo_ids, tickets_connection, contracts_client
):
    ana, agent = await login("ana@acme-water.example"), await login("agent@example.com")
    ticket = await _case(live, ana, demo_ids)
    path = f"/v1/tickets/{ticket['id']}/time-entries"
    session = await live.post(
        path,
        json={"minutes": 40, "activity": "other_support", "billable": True, "note": "migration"},
        headers=agent,
    )
    assert session.status_code == 201, session.text
    billed = session.json()
    assert (billed["billed_minutes"], billed["billed_at"] is not None) == (60, True)

    later = await live.post(path, json={"minutes": 10, "activity": "remote_session"}, headers=agent)
    made_billable = await live.patch(
        f"{path}/{later.json()['id']}", json={"billable": True}, headers=agent
    )
    assert made_billable.json()["billed_minutes"] == 30

    for method, body in (("patch", {"minutes": 5}), ("delete", None)):
        kwargs = {"json": body} if body else {}
        response = await getattr(live, method)(f"{path}/{billed['id']}", headers=agent, **kwargs)
        assert (response.status_code, response.json()["error"]["code"]) == (
            409,
            "TIME_ENTRY_BILLED",
        )
    listed = (await live.get(path, params={"billable": True}, headers=agent)).json()
    assert (listed["total"], listed["billable_minutes"], listed["billed_minutes"]) == (2, 50, 90)

    events = await _billable_events(tickets_connection)
    assert sorted(e["data"]["minutes"] for e in events) == [10, 40]
    first = next(e for e in events if e["data"]["minutes"] == 40)
    assert first["data"]["kind"] == "other_support"
    assert first["data"]["customer_id"] == demo_ids["Acme Water"]
    # Who may see the case may see the event on a live stream, nobody else.
    assert first["data"]["contact_id"] == demo_ids["ana@acme-water.example"]
    assert first["data"]["case_visibility"] == "customer"

    # Delivered as the outbox relay delivers it, contracts records one other-support item
    # per event, in started half hours.
    token = (
        await contracts_client.post(
            "/auth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "svc-tickets",
                "client_secret": dev_secret("svc-tickets"),
            },
        )
    ).json()["access_token"]
    for event in events:
        delivered = await contracts_client.post("/v1/events", json=event, headers=bearer(token))
        assert delivered.status_code == 202, delivered.text
    items = (
        await contracts_client.get(
            "/v1/billable-items",
            params={"customer_id": demo_ids["Acme Water"], "kind": "other_support"},
            headers=agent,
        )
    ).json()["items"]
    mine = sorted(
        (i["minutes_worked"], i["quantity"]) for i in items if i["ticket_id"] == ticket["id"]
    )
    assert mine == [(10, "0.50"), (40, "1.00")]


async def test_time_entries_are_the_vendors(live, login, demo_ids):
    ana, agent = await login("ana@acme-water.example"), await login("agent@example.com")
    bo = await login("bo@borealis.example")
    ticket = await _case(live, ana, demo_ids)
    path = f"/v1/tickets/{ticket['id']}/time-entries"
    entry = await live.post(path, json={"minutes": 5, "activity": "communication"}, headers=agent)
    for response in (
        await live.get(path, headers=ana),
        await live.post(path, json={"minutes": 5, "activity": "communication"}, headers=ana),
    ):
        assert (response.status_code, response.json()["error"]["code"]) == (
            403,
            "ROLE_FORBIDDEN",
        )
    # Another customer's case is not found, its entries neither.
    for response in (
        await live.get(path, headers=bo),
        await live.patch(f"{path}/{entry.json()['id']}", json={"minutes": 1}, headers=bo),
    ):
        assert (response.status_code, response.json()["error"]["code"]) == (
            404,
            "TICKET_NOT_FOUND",
        )
    unknown = await live.patch(f"{path}/{uuid.uuid4()}", json={"minutes": 1}, headers=agent)
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "TIME_ENTRY_NOT_FOUND")
