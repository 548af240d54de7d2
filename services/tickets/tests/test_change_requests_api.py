"""Priority (category) change requests (seed 002): the customer asks with a motivation,
staff accept or refuse with a reason, and an accepted change recomputes the SLA clocks from
their original starts. Real tickets and contracts apps on real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from tickets.models import outbox_events


def _error(response):
    return response.status_code, response.json()["error"]["code"]


def _dues(ticket):
    return {c["metric"]: (c["priority"], c["started_at"], c["due_at"]) for c in ticket["sla"]}


async def _cobalt_case(live, agent, demo_ids, received_at, priority):
    """A Cobalt case (Invantive: Category I / II / III) received at a given time: the vendor's
    side sets the time the case arrived."""
    response = await live.post(
        "/v1/tickets",
        json={
            "product_id": demo_ids["tideway"],
            "version": "3.1",
            "subject": "Report run stops",
            "description": "The nightly report run stops at 40%.",
            "contact_id": demo_ids["cora@cobalt.example"],
            "received_at": received_at.isoformat(),
            "priority": priority,
        },
        headers=agent,
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_an_accepted_request_recomputes_the_clocks_from_the_original_start(
    live, login, demo_ids, tickets_connection
):
    cora = await login("cora@cobalt.example")
    agent = await login("agent@example.com")
    received = (datetime.now(UTC) - timedelta(days=2)).replace(microsecond=0)
    case = await _cobalt_case(live, agent, demo_ids, received, "III")
    # What the clocks of a case received at the same instant as Category I look like.
    twin = await _cobalt_case(live, agent, demo_ids, received, "I")
    requests = f"/v1/tickets/{case['id']}/change-requests"

    assert _error(await live.post(requests, json={"priority": "I"}, headers=cora)) == (
        422,
        "MOTIVATION_REQUIRED",
    )
    blank = await live.post(requests, json={"priority": "I", "motivation": " "}, headers=cora)
    assert _error(blank) == (422, "MOTIVATION_REQUIRED")
    unknown = await live.post(requests, json={"priority": "IV", "motivation": "x"}, headers=cora)
    assert _error(unknown) == (422, "PRIORITY_UNKNOWN")
    same = await live.post(requests, json={"priority": "III", "motivation": "x"}, headers=cora)
    assert _error(same) == (409, "PRIORITY_UNCHANGED")
    staff = await live.post(requests, json={"priority": "I", "motivation": "x"}, headers=agent)
    assert _error(staff) == (403, "CUSTOMERS_ONLY")

    motivation = "Nobody in finance can close the month: the product is not usable at all."
    asked = await live.post(
        requests, json={"priority": "I", "motivation": motivation}, headers=cora
    )
    assert asked.status_code == 201, asked.text
    assert (asked.json()["status"], asked.json()["from_priority"]) == ("PENDING", "III")
    twice = await live.post(requests, json={"priority": "II", "motivation": "x"}, headers=cora)
    assert _error(twice) == (409, "CHANGE_REQUEST_PENDING")
    # Nothing changed yet.
    unchanged = (await live.get(f"/v1/tickets/{case['id']}", headers=cora)).json()
    assert unchanged["priority"] == "III"

    decision = f"{requests}/decision"
    assert _error(await live.post(decision, json={"decision": "ACCEPTED"}, headers=agent)) == (
        422,
        "DECISION_REASON_REQUIRED",
    )
    customer_decides = await live.post(
        decision, json={"decision": "ACCEPTED", "reason": "ok"}, headers=cora
    )
    assert _error(customer_decides) == (403, "ROLE_FORBIDDEN")
    accepted = await live.post(
        decision, json={"decision": "ACCEPTED", "reason": "Month-end is blocked"}, headers=agent
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "ACCEPTED"

    after = (await live.get(f"/v1/tickets/{case['id']}", headers=cora)).json()
    assert after["priority"] == "I"
    # Due as if the case had been Category I since it arrived: the clocks start where they
    # started, with Category I's targets.
    assert _dues(after) == _dues(twin)
    assert _dues(after)["FIRST_RESPONSE"][1].startswith(_dues(case)["FIRST_RESPONSE"][1][:16])
    assert _dues(after)["FIRST_RESPONSE"][2] < _dues(case)["FIRST_RESPONSE"][2]

    [seen] = (await live.get(requests, headers=cora)).json()
    assert (seen["status"], seen["decision_reason"], seen["motivation"]) == (
        "ACCEPTED",
        "Month-end is blocked",
        motivation,
    )
    rows = await tickets_connection.execute(
        select(outbox_events.c.type, outbox_events.c.envelope).where(
            outbox_events.c.envelope["subject"].astext == case["number"]
        )
    )
    by_type = {r.type: r.envelope["data"] for r in rows}
    assert by_type["ticket.change_requested"]["motivation"] == motivation
    assert by_type["ticket.priority_changed"]["previous_priority"] == "III"
    decided = by_type["ticket.change_request_decided"]
    assert (decided["decision"], decided["reason"]) == ("ACCEPTED", "Month-end is blocked")
    nothing = await live.post(decision, json={"decision": "REFUSED", "reason": "x"}, headers=agent)
    assert _error(nothing) == (409, "NO_PENDING_CHANGE_REQUEST")


async def test_a_refusal_keeps_the_priority_and_the_customer_sees_why(
    live, login, demo_ids, tickets_connection
):
    cora = await login("cora@cobalt.example")
    ana = await login("ana@acme-water.example")
    manager = await login("manager@example.com")
    case = await _cobalt_case(live, manager, demo_ids, datetime.now(UTC), "III")
    requests = f"/v1/tickets/{case['id']}/change-requests"
    # Another customer cannot even see the case.
    hidden = await live.post(requests, json={"priority": "I", "motivation": "x"}, headers=ana)
    assert _error(hidden) == (404, "TICKET_NOT_FOUND")
    assert _error(await live.get(requests, headers=ana)) == (404, "TICKET_NOT_FOUND")

    asked = await live.post(
        requests, json={"priority": "II", "motivation": "Two users blocked"}, headers=cora
    )
    assert asked.status_code == 201
    refused = await live.post(
        f"{requests}/decision",
        json={"decision": "REFUSED", "reason": "A workaround exists (KB 12)"},
        headers=manager,
    )
    assert refused.status_code == 200 and refused.json()["status"] == "REFUSED"
    ticket = (await live.get(f"/v1/tickets/{case['id']}", headers=cora)).json()
    assert ticket["priority"] == "III"
    assert _dues(ticket) == _dues(case)
    [seen] = (await live.get(requests, headers=cora)).json()
    assert (seen["status"], seen["decision_reason"]) == ("REFUSED", "A workaround exists (KB 12)")
    history = (await live.get(f"/v1/tickets/{case['id']}/history", headers=cora)).json()
    assert [h["kind"] for h in history if h["kind"].startswith("CHANGE_")] == [
        "CHANGE_REQUESTED",
        "CHANGE_REFUSED",
    ]
    # Refused, the customer may ask again.
    again = await live.post(
        requests, json={"priority": "I", "motivation": "Now nobody can work"}, headers=cora
    )
    assert again.status_code == 201
    rows = await tickets_connection.execute(
        select(outbox_events.c.envelope).where(
            outbox_events.c.type == "ticket.change_request_decided"
        )
    )
    assert {r.envelope["data"]["decision"] for r in rows} == {"REFUSED"}
