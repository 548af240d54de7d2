"""Escalations in both meanings (seed 000) and the escalation path's contact attempts (seed
001) through the real tickets app, with the real contracts app naming the Client Services
Manager of the customer's region, on real PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from tickets.models import outbox_events


def _case(ids):
    return {
        "product_id": ids["tideway"],
        "version": "3.1",
        "subject": "Model import keeps failing",
        "description": "Nobody has answered for a week.",
    }


def _error(response):
    return response.status_code, response.json()["error"]["code"]


async def _events(connection, kind):
    """The events of a type in the order emitted, once each (the outbox keeps a row per
    destination)."""
    rows = await connection.execute(
        select(outbox_events.c.envelope)
        .where(outbox_events.c.type == kind)
        .order_by(outbox_events.c.created_at, outbox_events.c.id)
    )
    seen: dict[str, dict] = {}
    for row in rows:
        seen.setdefault(row.envelope["id"], row.envelope)
    return [e["data"] for e in sorted(seen.values(), key=lambda e: e["time"])]


async def test_a_customer_escalation_goes_to_the_regions_manager_until_resolved(
    live, login, demo_ids, tickets_connection
):
    ana = await login("ana@acme-water.example")
    agent = await login("agent@example.com")
    csm = await login("csm.americas@example.com")
    ticket = (await live.post("/v1/tickets", json=_case(demo_ids), headers=ana)).json()
    base = f"/v1/tickets/{ticket['id']}/escalations"

    # A reason is required: missing or blank, the same stable code.
    for body in ({"kind": "CUSTOMER"}, {"kind": "CUSTOMER", "reason": "   "}):
        refused = await live.post(base, json=body, headers=ana)
        assert _error(refused) == (422, "ESCALATION_REASON_REQUIRED")
    escalated = await live.post(
        base, json={"kind": "CUSTOMER", "reason": "No answer in a week"}, headers=ana
    )
    assert escalated.status_code == 200, escalated.text
    assert escalated.json()["status"] == "ESCALATED"
    again = await live.post(base, json={"kind": "CUSTOMER", "reason": "Still"}, headers=ana)
    assert _error(again) == (409, "ESCALATION_OPEN")

    # Acme is in AMERICAS: its manager owns the follow-up, and the event names them.
    [listed] = (await live.get(base, headers=ana)).json()
    assert listed["owner"]["email"] == "csm.americas@example.com"
    assert (listed["kind"], listed["reason"], listed["open"]) == (
        "CUSTOMER",
        "No answer in a week",
        True,
    )
    [event] = await _events(tickets_connection, "ticket.escalated")
    assert event["kind"] == "CUSTOMER"
    assert event["csm_email"] == "csm.americas@example.com"
    assert event["reason"] == "No answer in a week"
    assert event["escalation_id"] == listed["id"]

    # Only the owner (or a manager) resolves it, with a word on what was done.
    assert _error(await live.post(f"{base}/resolve", json={"resolution": "x"}, headers=ana)) == (
        403,
        "ROLE_FORBIDDEN",
    )
    not_owner = await live.post(f"{base}/resolve", json={"resolution": "x"}, headers=agent)
    assert _error(not_owner) == (403, "NOT_ESCALATION_OWNER")
    blank = await live.post(f"{base}/resolve", json={}, headers=csm)
    assert _error(blank) == (422, "ESCALATION_RESOLUTION_REQUIRED")
    resolved = await live.post(
        f"{base}/resolve", json={"resolution": "Called Ana, fix planned"}, headers=csm
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["status"] == "OPEN"  # where it was before
    [listed] = (await live.get(base, headers=ana)).json()
    assert (listed["open"], listed["resolution"]) == (False, "Called Ana, fix planned")
    assert listed["resolved_by"] == "csm.americas@example.com"
    [done] = await _events(tickets_connection, "ticket.escalation_resolved")
    assert (done["kind"], done["resolution"]) == ("CUSTOMER", "Called Ana, fix planned")
    gone = await live.post(f"{base}/resolve", json={"resolution": "x"}, headers=csm)
    assert _error(gone) == (409, "NO_OPEN_ESCALATION")
    # Resolved, the customer may escalate again.
    anew = await live.post(base, json={"kind": "CUSTOMER", "reason": "Fix late"}, headers=ana)
    assert anew.status_code == 200, anew.text


async def test_an_internal_escalation_goes_to_a_team_and_stays_with_staff(
    live, login, demo_ids, tickets_connection
):
    ana = await login("ana@acme-water.example")
    agent = await login("agent@example.com")
    ticket = (await live.post("/v1/tickets", json=_case(demo_ids), headers=ana)).json()
    case = f"/v1/tickets/{ticket['id']}"
    moved = await live.post(f"{case}/status", json={"status": "WORKING"}, headers=agent)
    assert moved.status_code == 200, moved.text

    secret = "Hydraulics suspects our solver regression"
    customer_try = await live.post(
        f"{case}/escalations",
        json={"kind": "INTERNAL", "reason": secret, "team": "Hydraulics"},
        headers=ana,
    )
    assert _error(customer_try) == (403, "ROLE_FORBIDDEN")
    for team in (None, "", "  ", "<script>"):
        no_team = await live.post(
            f"{case}/escalations",
            json={"kind": "INTERNAL", "reason": secret, "team": team},
            headers=agent,
        )
        assert _error(no_team) == (422, "ESCALATION_TEAM_REQUIRED"), team
    handed = await live.post(
        f"{case}/escalations",
        json={"kind": "INTERNAL", "reason": secret, "team": " Hydraulics "},
        headers=agent,
    )
    assert handed.status_code == 200 and handed.json()["status"] == "ESCALATED"
    # The customer escalates too while the team has it.
    mine = await live.post(
        f"{case}/escalations", json={"kind": "CUSTOMER", "reason": "Too slow"}, headers=ana
    )
    assert mine.status_code == 200, mine.text

    staff_view = (await live.get(f"{case}/escalations", headers=agent)).json()
    assert [(e["kind"], e["team"]) for e in staff_view] == [
        ("INTERNAL", "Hydraulics"),
        ("CUSTOMER", None),
    ]
    assert staff_view[1]["previous_status"] == "WORKING"  # where both go back to
    # The customer sees its own escalation only; nothing of the team or its reason anywhere.
    for path in ("", "/escalations", "/history", "/messages", "/contact-attempts"):
        seen = await live.get(f"{case}{path}", headers=ana)
        assert seen.status_code == 200, path
        assert secret not in seen.text and "Hydraulics" not in seen.text, path
    assert [e["kind"] for e in (await live.get(f"{case}/escalations", headers=ana)).json()] == [
        "CUSTOMER"
    ]
    internal_event = (await _events(tickets_connection, "ticket.escalated"))[0]
    assert internal_event["kind"] == "INTERNAL"
    assert secret not in str(internal_event) and "Hydraulics" not in str(internal_event)

    # The team returns it: still ESCALATED while the customer's escalation is open.
    assert _error(await live.post(f"{case}/escalations/return", json={}, headers=ana)) == (
        403,
        "ROLE_FORBIDDEN",
    )
    back = await live.post(
        f"{case}/escalations/return", json={"note": "Solver patched"}, headers=agent
    )
    assert back.status_code == 200 and back.json()["status"] == "ESCALATED"
    manager = await login("manager@example.com")
    resolved = await live.post(
        f"{case}/escalations/resolve", json={"resolution": "Patch shipped"}, headers=manager
    )
    assert resolved.json()["status"] == "WORKING"
    ended = await _events(tickets_connection, "ticket.escalation_resolved")
    assert [e["kind"] for e in ended] == ["INTERNAL", "CUSTOMER"]
    assert "Solver patched" not in str(ended[0])
    twice = await live.post(f"{case}/escalations/return", json={}, headers=agent)
    assert _error(twice) == (409, "NO_OPEN_ESCALATION")


async def test_the_escalation_path_is_recorded_in_its_order(live, login, demo_ids):
    ana = await login("ana@acme-water.example")
    agent = await login("agent@example.com")
    ticket = (await live.post("/v1/tickets", json=_case(demo_ids), headers=ana)).json()
    case = f"/v1/tickets/{ticket['id']}"
    attempts = f"{case}/contact-attempts"
    await live.post(
        f"{case}/escalations", json={"kind": "CUSTOMER", "reason": "No answer"}, headers=ana
    )
    refused = await live.post(
        attempts, json={"channel": "EMAIL", "outcome": "REACHED"}, headers=ana
    )
    assert _error(refused) == (403, "ROLE_FORBIDDEN")
    bad = await live.post(attempts, json={"channel": "FAX", "outcome": "REACHED"}, headers=agent)
    assert bad.status_code == 422

    first = await live.post(
        attempts,
        json={"channel": "EMAIL", "outcome": "NO_ANSWER", "note": "Sent to ana@ and cc"},
        headers=agent,
    )
    assert first.status_code == 201, first.text
    assert (first.json()["step"], first.json()["skipped_ahead"]) == (1, False)
    assert first.json()["escalation_id"] is not None
    # Straight to a web conference: allowed, and shown as skipping the phone.
    ahead = await live.post(
        attempts, json={"channel": "WEB_CONFERENCE", "outcome": "SCHEDULED"}, headers=agent
    )
    assert (ahead.json()["step"], ahead.json()["skipped_ahead"]) == (3, True)
    phoned = await live.post(
        attempts, json={"channel": "PHONE", "outcome": "LEFT_MESSAGE"}, headers=agent
    )
    assert (phoned.json()["step"], phoned.json()["skipped_ahead"]) == (2, False)

    staff_view = (await live.get(attempts, headers=agent)).json()
    assert staff_view["path"] == ["EMAIL", "PHONE", "WEB_CONFERENCE"]
    assert staff_view["total"] == 3 and staff_view["next_step"] is None
    assert [a["channel"] for a in staff_view["items"]] == ["EMAIL", "WEB_CONFERENCE", "PHONE"]
    assert staff_view["items"][0]["note"] == "Sent to ana@ and cc"
    customer_view = (await live.get(attempts, params={"limit": 2}, headers=ana)).json()
    assert (customer_view["total"], len(customer_view["items"])) == (3, 2)
    assert [a["note"] for a in customer_view["items"]] == [None, None]
    assert [a["outcome"] for a in customer_view["items"]] == ["NO_ANSWER", "SCHEDULED"]

    # A new case starts the path at its first step.
    other = (await live.post("/v1/tickets", json=_case(demo_ids), headers=ana)).json()
    fresh = (await live.get(f"/v1/tickets/{other['id']}/contact-attempts", headers=ana)).json()
    assert (fresh["total"], fresh["next_step"]) == (0, "EMAIL")
    cora = await login("cora@cobalt.example")
    hidden = await live.get(attempts, headers=cora)
    assert _error(hidden) == (404, "TICKET_NOT_FOUND")
