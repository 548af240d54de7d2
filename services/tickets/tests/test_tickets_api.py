"""Opening and working cases through the real tickets app, with the real contracts app
answering entitlement, on real PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from careplane_shared.testing import asgi_client, running_app
from careplane_shared.testing.pieces import TICKETS
from careplane_shared.testing.ports import free_port
from careplane_shared.testing.service import verifier_of
from tickets.models import SlaTimer, Ticket, outbox_events
from tickets.ticket import recheck, timers


def _case(ids, **extra):
    return {
        "product_id": ids["tideway"],
        "version": "3.1",
        "subject": "Model run stops at 42%",
        "description": "The hydraulic run stops with error E-1042 on the Riverside model.",
        "error_code": "E-1042",
        **extra,
    }


async def _events(connection, type_):
    rows = (
        await connection.execute(
            select(outbox_events.c.envelope).where(outbox_events.c.type == type_)
        )
    ).all()
    # One row per destination; the same event id for each.
    unique = {r.envelope["id"]: r.envelope for r in rows}
    return list(unique.values())


async def test_a_contact_opens_a_case_and_gets_its_number_and_clocks(
    live, login, demo_ids, tickets_connection
):
    ana = await login("ana@acme-water.example")
    response = await live.post("/v1/tickets", json=_case(demo_ids), headers=ana)
    assert response.status_code == 201, response.text
    ticket = response.json()
    assert re.fullmatch(r"CS-\d{4}-\d{6}", ticket["number"])
    assert ticket["status"] == "OPEN"
    assert ticket["priority"] == "NORMAL"  # InfoCare's default
    assert ticket["customer_id"] == demo_ids["Acme Water"]
    assert ticket["plan_code"] == "infocare"
    assert ticket["support_center"] == "broomfield"
    metrics = [c["metric"] for c in ticket["sla"]]
    assert metrics == ["FIRST_RESPONSE", "RESOLUTION"]
    first = ticket["sla"][0]
    assert first["target_minutes"] == 120 and first["business_time"] is True
    assert first["due_at"] is not None and first["explanation"]

    history = (await live.get(f"/v1/tickets/{ticket['id']}/history", headers=ana)).json()
    assert [(h["kind"], h["from_value"], h["to_value"]) for h in history] == [
        ("OPENED", None, "NORMAL"),
        ("STATUS_CHANGE", "NEW", "OPEN"),
    ]
    opened = await _events(tickets_connection, "ticket.opened")
    assert [e["data"]["number"] for e in opened] == [ticket["number"]]
    assert opened[0]["data"]["customer_id"] == demo_ids["Acme Water"]
    assert opened[0]["data"]["status"] == "OPEN"

    by_number = await live.get(f"/v1/tickets/by-number/{ticket['number']}", headers=ana)
    assert by_number.json()["id"] == ticket["id"]


@pytest.mark.parametrize(
    ("email", "version", "reasons"),
    [
        ("ben@borealis.example", "3.0", ["CONTACT_NOT_ADMIN"]),
        ("eve@echo.example", "3.1", ["NO_ACTIVE_AGREEMENT"]),
        ("finn@fjord.example", "3.1", ["CUSTOMER_SUSPENDED"]),
        ("ana@acme-water.example", "1.4", ["VERSION_END_OF_LIFE"]),
    ],
)
async def test_a_refusal_is_a_clear_4xx_with_the_reason_codes(
    live, login, demo_ids, email, version, reasons
):
    response = await live.post(
        "/v1/tickets", json=_case(demo_ids, version=version), headers=await login(email)
    )
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "NOT_ENTITLED"
    assert error["details"]["reasons"] == reasons


async def test_the_same_idempotency_key_opens_one_case(live, login, demo_ids, tickets_connection):
    cora = {**(await login("cora@cobalt.example")), "Idempotency-Key": "mail-4711"}
    first = await live.post("/v1/tickets", json=_case(demo_ids, priority="I"), headers=cora)
    again = await live.post("/v1/tickets", json=_case(demo_ids, priority="I"), headers=cora)
    assert first.status_code == again.status_code == 201
    assert again.json()["number"] == first.json()["number"]
    assert again.headers.get("idempotent-replayed") == "true"
    count = len((await tickets_connection.execute(select(Ticket.id))).all())
    assert count == 1


async def test_the_same_idempotency_key_stores_one_reply(live, login, demo_ids, tickets_connection):
    ana = await login("ana@acme-water.example")
    ticket = (await live.post("/v1/tickets", json=_case(demo_ids), headers=ana)).json()
    path = f"/v1/tickets/{ticket['id']}/messages"
    keyed = {**ana, "Idempotency-Key": "reply-4711"}
    first = await live.post(path, json={"body": "The pump stopped again."}, headers=keyed)
    again = await live.post(path, json={"body": "The pump stopped again."}, headers=keyed)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.headers.get("idempotent-replayed") == "true"

    other = await live.post(path, json={"body": "Something else."}, headers=keyed)
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"

    said = (await live.get(path, headers=ana)).json()
    assert [m["body"] for m in said].count("The pump stopped again.") == 1
    replied = (
        await tickets_connection.execute(
            select(outbox_events.c.id).where(
                outbox_events.c.type == "ticket.replied",
                outbox_events.c.envelope["subject"].astext == ticket["number"],
            )
        )
    ).all()
    assert len({row.id for row in replied}) == 1


async def test_bad_input_is_refused_clearly(live, login, demo_ids):
    agent = await login("agent@example.com")
    ana = await login("ana@acme-water.example")
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    cases = [
        (
            agent,
            _case(demo_ids, contact_id=demo_ids["ana@acme-water.example"], received_at=future),
            422,
            "RECEIVED_AT_IN_FUTURE",
        ),
        (
            ana,
            _case(demo_ids, received_at=datetime.now(UTC).isoformat()),
            403,
            "FIELD_FORBIDDEN",
        ),
        (agent, _case(demo_ids), 422, "CONTACT_REQUIRED"),
        (ana, _case(demo_ids, priority="URGENT"), 422, "PRIORITY_UNKNOWN"),
        (ana, {**_case(demo_ids), "subject": ""}, 422, "VALIDATION_ERROR"),
        (
            ana,
            _case(demo_ids, product_id="00000000-0000-0000-0000-000000000000"),
            404,
            "PRODUCT_NOT_FOUND",
        ),
    ]
    for headers, body, status_code, code in cases:
        response = await live.post("/v1/tickets", json=body, headers=headers)
        assert (response.status_code, response.json()["error"]["code"]) == (status_code, code), body


async def test_staff_may_record_when_a_call_really_arrived(live, login, demo_ids):
    agent = await login("agent@example.com")
    arrived = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # a Friday, 08:00 in Denver
    body = _case(
        demo_ids,
        contact_id=demo_ids["ana@acme-water.example"],
        received_at=arrived.isoformat(),
        channel="phone",
    )
    ticket = (await live.post("/v1/tickets", json=body, headers=agent)).json()
    assert ticket["received_at"].startswith("2026-11-20T15:00")
    first = ticket["sla"][0]
    # 120 business minutes from Friday 08:00 Denver (MST, UTC-7) = Friday 10:00 = 17:00 UTC.
    assert first["started_at"].startswith("2026-11-20T15:00")
    assert first["due_at"].startswith("2026-11-20T17:00")


async def test_the_conversation_moves_the_clocks(live, login, demo_ids, tickets_connection):
    ana = await login("ana@acme-water.example")
    agent = await login("agent@example.com")
    ticket = (await live.post("/v1/tickets", json=_case(demo_ids), headers=ana)).json()
    path = f"/v1/tickets/{ticket['id']}"

    note = await live.post(
        f"{path}/messages",
        json={"body": "Looks like the pump curve.", "internal": True},
        headers=agent,
    )
    assert note.status_code == 201
    view = (await live.get(path, headers=agent)).json()
    assert view["sla"][0]["stopped_at"] is None  # an internal note is not a response

    await live.post(f"{path}/messages", json={"body": "Can you send the model?"}, headers=agent)
    view = (await live.get(path, headers=agent)).json()
    assert view["sla"][0]["metric"] == "FIRST_RESPONSE" and view["sla"][0]["stopped_at"] is not None

    await live.post(
        f"{path}/status",
        json={"status": "PENDING", "reason": "waiting for the model"},
        headers=agent,
    )
    reply = await live.post(f"{path}/messages", json={"body": "Attached."}, headers=ana)
    assert reply.status_code == 201
    view = (await live.get(path, headers=ana)).json()
    assert view["status"] == "OPEN"  # a customer reply to a Pending case reopens it
    assert [c["metric"] for c in view["sla"]] == ["FIRST_RESPONSE", "NEXT_RESPONSE", "RESOLUTION"]
    assert view["sla"][1]["stopped_at"] is None

    # Customers never see internal notes.
    messages = (await live.get(f"{path}/messages", headers=ana)).json()
    assert [m["body"] for m in messages] == ["Can you send the model?", "Attached."]
    assert len((await live.get(f"{path}/messages", headers=agent)).json()) == 3

    closed = await live.post(
        f"{path}/close", json={"resolution": "Pump curve corrected."}, headers=agent
    )
    assert closed.status_code == 200 and closed.json()["status"] == "CLOSED"
    assert all(c["stopped_at"] for c in closed.json()["sla"])
    events = await _events(tickets_connection, "ticket.closed")
    assert events[0]["data"]["resolution"] == "Pump curve corrected."
    assert events[0]["data"]["agreement_id"]

    reopened = await live.post(f"{path}/reopen", json={"reason": "It happens again"}, headers=ana)
    assert reopened.status_code == 200 and reopened.json()["status"] == "OPEN"
    resolution = next(c for c in reopened.json()["sla"] if c["metric"] == "RESOLUTION")
    assert resolution["stopped_at"] is None
    assert await _events(tickets_connection, "ticket.reopened")


async def test_illegal_moves_are_409_with_a_code(live, login, demo_ids):
    ana = await login("ana@acme-water.example")
    agent = await login("agent@example.com")
    ticket = (await live.post("/v1/tickets", json=_case(demo_ids), headers=ana)).json()
    path = f"/v1/tickets/{ticket['id']}"
    response = await live.post(f"{path}/status", json={"status": "OPEN"}, headers=agent)
    assert (response.status_code, response.json()["error"]["code"]) == (409, "STATUS_UNCHANGED")
    response = await live.post(f"{path}/status", json={"status": "NEW"}, headers=agent)
    assert (response.status_code, response.json()["error"]["code"]) == (409, "ILLEGAL_TRANSITION")
    response = await live.post(f"{path}/status", json={"status": "WORKING"}, headers=ana)
    assert response.status_code == 403
    await live.post(f"{path}/close", json={"resolution": "done"}, headers=agent)
    response = await live.post(f"{path}/status", json={"status": "WORKING"}, headers=agent)
    assert (response.status_code, response.json()["error"]["code"]) == (409, "TICKET_CLOSED")
    response = await live.post(f"{path}/messages", json={"body": "more"}, headers=ana)
    assert (response.status_code, response.json()["error"]["code"]) == (409, "TICKET_CLOSED")
    response = await live.post(f"{path}/status", json={"status": "SOLVED"}, headers=agent)
    assert response.status_code == 422


async def test_customers_see_only_their_own_cases(live, login, demo_ids):
    ana = await login("ana@acme-water.example")
    cora = await login("cora@cobalt.example")
    agent = await login("agent@example.com")
    mine = (await live.post("/v1/tickets", json=_case(demo_ids), headers=ana)).json()
    theirs = (await live.post("/v1/tickets", json=_case(demo_ids), headers=cora)).json()

    assert (await live.get(f"/v1/tickets/{theirs['id']}", headers=ana)).status_code == 404
    assert (
        await live.get(f"/v1/tickets/by-number/{theirs['number']}", headers=ana)
    ).status_code == 404
    listed = (await live.get("/v1/tickets", headers=ana)).json()
    assert [t["number"] for t in listed["items"]] == [mine["number"]] and listed["total"] == 1
    assert (await live.get("/v1/tickets", headers=agent)).json()["total"] == 2
    assert (await live.get("/v1/triage", headers=ana)).status_code == 403


async def test_triage_orders_by_severity_then_time_left(live, login, demo_ids):
    cora = await login("cora@cobalt.example")
    dan = await login("dan@delta.example")
    agent = await login("agent@example.com")
    low = (
        await live.post("/v1/tickets", json=_case(demo_ids, priority="III"), headers=cora)
    ).json()
    critical = (
        await live.post("/v1/tickets", json=_case(demo_ids, priority="CRITICAL"), headers=dan)
    ).json()
    high = (
        await live.post("/v1/tickets", json=_case(demo_ids, priority="II"), headers=cora)
    ).json()
    queue = (await live.get("/v1/triage", headers=agent)).json()
    assert [t["number"] for t in queue["items"]] == [
        critical["number"],
        high["number"],
        low["number"],
    ]
    filtered = (await live.get("/v1/triage", params={"language": "nl"}, headers=agent)).json()
    assert {t["number"] for t in filtered["items"]} == {low["number"], high["number"]}

    response = await live.post(
        f"/v1/tickets/{low['id']}/priority",
        json={"priority": "I", "reason": "production down"},
        headers=agent,
    )
    assert response.status_code == 200
    first = next(c for c in response.json()["sla"] if c["metric"] == "FIRST_RESPONSE")
    assert first["target_minutes"] == 480
    queue = (await live.get("/v1/triage", headers=agent)).json()
    assert queue["items"][1]["number"] == low["number"]


async def test_breaches_and_warnings_fire_once(live, login, demo_ids, tickets_connection, live_app):
    agent = await login("agent@example.com")
    long_ago = datetime.now(UTC) - timedelta(days=10)
    body = _case(
        demo_ids,
        contact_id=demo_ids["dan@delta.example"],
        priority="CRITICAL",
        received_at=long_ago.isoformat(),
    )
    ticket = (await live.post("/v1/tickets", json=body, headers=agent)).json()
    assert ticket["sla"][0]["breached"] is True

    session_maker = live_app.state.database.sessionmaker
    async with session_maker() as session, session.begin():
        fired = await timers.fire_due(session, live_app.state.outbox)
    assert fired >= 1
    async with session_maker() as session, session.begin():
        assert await timers.fire_due(session, live_app.state.outbox) == 0
    breached = await _events(tickets_connection, "sla.breached")
    assert [(e["data"]["number"], e["data"]["metric"]) for e in breached] == [
        (ticket["number"], "FIRST_RESPONSE")
    ]
    # A clock that already breached gets no warning after the fact.
    assert await _events(tickets_connection, "sla.warning") == []

    pending = (
        await tickets_connection.execute(select(SlaTimer).where(SlaTimer.fired_at.is_(None)))
    ).all()
    assert pending == []


def _tickets_app(tickets_database, contracts_app, *, contracts_up, transport=None):
    """Tickets with contracts reachable in-process (through ``transport`` when given), or
    down for real (nothing listens on the port it is given)."""
    if contracts_up:
        settings = TICKETS.settings(tickets_database, token_url="http://contracts/auth/token")
        wiring = {"contracts_transport": transport or httpx.ASGITransport(app=contracts_app)}
    else:
        closed = f"http://127.0.0.1:{free_port()}"
        settings = TICKETS.settings(
            tickets_database,
            http_retries=0,
            contracts_url=closed,
            token_url=f"{closed}/auth/token",
        )
        wiring = {}
    app = TICKETS.app_factory(settings, **wiring)
    app.state.token_verifier = verifier_of(contracts_app)
    return app


async def _open_while_contracts_is_down(
    tickets_database, tickets_connection, contracts_app, headers, body
):
    app = _tickets_app(tickets_database, contracts_app, contracts_up=False)
    async with running_app(app, tickets_connection), asgi_client(app) as client:
        response = await client.post("/v1/tickets", json=body, headers=headers)
        assert response.status_code == 201, response.text
        return response.json()


async def _recheck(tickets_database, tickets_connection, contracts_app, ticket_id, transport=None):
    app = _tickets_app(tickets_database, contracts_app, contracts_up=True, transport=transport)
    async with running_app(app, tickets_connection) as app:
        async with app.state.database.sessionmaker() as session, session.begin():
            settled = await recheck.recheck_pending(
                session,
                outbox=app.state.outbox,
                contracts=app.state.contracts,
                policy=app.state.ticket_policy,
            )
        async with app.state.database.sessionmaker() as session:
            return settled, await session.get(Ticket, ticket_id)


def _entitlement_checks(transport):
    """(contact, on whose behalf, contracts' status) of each entitlement check tickets made."""
    return [
        (call.json["contact_id"], call.json.get("customer_id"), call.status)
        for call in transport.api_calls()
        if (call.method, call.path) == ("POST", "/v1/entitlements/check")
    ]


async def test_a_case_is_accepted_when_contracts_is_down_and_checked_later(
    tickets_database, tickets_connection, contracts_app, login, demo_ids, contracts_transport
):
    ana = await login("ana@acme-water.example")
    ticket = await _open_while_contracts_is_down(
        tickets_database, tickets_connection, contracts_app, ana, _case(demo_ids)
    )
    assert (ticket["status"], ticket["entitlement_status"], ticket["sla"]) == ("NEW", "pending", [])
    assert ticket["customer_id"] == demo_ids["Acme Water"]

    # Contracts is back: the background check opens the case with its clocks, asking on
    # behalf of the customer whose caller opened it.
    settled, stored = await _recheck(
        tickets_database, tickets_connection, contracts_app, ticket["id"], contracts_transport
    )
    assert settled == 1
    assert _entitlement_checks(contracts_transport) == [
        (demo_ids["ana@acme-water.example"], demo_ids["Acme Water"], 200)
    ]
    assert (stored.status, stored.entitlement_status, stored.plan_code) == (
        "OPEN",
        "entitled",
        "infocare",
    )


async def test_a_pending_case_staff_closed_stays_closed_when_contracts_answers(
    tickets_database, tickets_connection, contracts_app, login, demo_ids
):
    """Found by make chaos: a case accepted while contracts was down and closed by staff
    before the recheck was opened again by the recheck ("entitlement confirmed"), the
    close undone. The answer is now recorded and the close stands; the customer, unknown
    until then, hears of the case (opened and closed, for no quota)."""
    agent = await login("agent@example.com")
    body = _case(demo_ids, contact_id=demo_ids["ana@acme-water.example"])
    ticket = await _open_while_contracts_is_down(
        tickets_database, tickets_connection, contracts_app, agent, body
    )
    app = _tickets_app(tickets_database, contracts_app, contracts_up=False)
    async with running_app(app, tickets_connection), asgi_client(app) as client:
        closed = await client.post(
            f"/v1/tickets/{ticket['id']}/close", json={"resolution": "Duplicate."}, headers=agent
        )
    assert closed.status_code == 200, closed.text

    settled, stored = await _recheck(
        tickets_database, tickets_connection, contracts_app, ticket["id"]
    )
    assert settled == 1
    assert (stored.status, stored.entitlement_status, stored.plan_code) == (
        "CLOSED",
        "entitled",
        "infocare",
    )
    assert stored.resolution == "Duplicate."
    moves = await _events(tickets_connection, "ticket.status_changed")
    assert [m["data"]["status"] for m in moves] == ["CLOSED"]
    first, again = sorted(
        await _events(tickets_connection, "ticket.closed"), key=lambda e: e["time"]
    )
    assert (first["data"]["customer_id"], first["data"]["agreement_id"]) == (None, None)
    assert {
        k: again["data"][k] for k in ("customer_id", "customer_only", "counts_against_quota")
    } == {
        "customer_id": demo_ids["Acme Water"],
        "customer_only": True,
        "counts_against_quota": False,
    }
    opened = await _events(tickets_connection, "ticket.opened")
    assert [
        e["data"].get("customer_only", False) for e in sorted(opened, key=lambda e: e["time"])
    ] == [False, True]


async def test_a_pending_case_opened_by_staff_is_announced_to_its_customer_once_known(
    tickets_database, tickets_connection, contracts_app, login, demo_ids
):
    """Found by make chaos: a case staff (or a vendor key) opened while contracts was down
    was announced with no customer, so the customer's own webhooks never heard of it, nor
    of the replies before the recheck. The recheck that names the customer announces them
    again for those targets only."""
    agent = await login("agent@example.com")
    body = _case(demo_ids, contact_id=demo_ids["ana@acme-water.example"])
    ticket = await _open_while_contracts_is_down(
        tickets_database, tickets_connection, contracts_app, agent, body
    )
    assert ticket["customer_id"] is None
    app = _tickets_app(tickets_database, contracts_app, contracts_up=False)
    async with running_app(app, tickets_connection), asgi_client(app) as client:
        for text, internal in (("Looking into it.", False), ("Staff only.", True)):
            said = await client.post(
                f"/v1/tickets/{ticket['id']}/messages",
                json={"body": text, "internal": internal},
                headers=agent,
            )
            assert said.status_code == 201, said.text

    settled, stored = await _recheck(
        tickets_database, tickets_connection, contracts_app, ticket["id"]
    )
    assert (settled, stored.status, str(stored.customer_id)) == (1, "OPEN", demo_ids["Acme Water"])
    first, again = sorted(
        await _events(tickets_connection, "ticket.opened"), key=lambda e: e["time"]
    )
    assert (first["data"]["customer_id"], "customer_only" in first["data"]) == (None, False)
    assert again["data"]["customer_id"] == demo_ids["Acme Water"]
    assert (again["data"]["customer_only"], again["data"]["entitlement_status"]) == (
        True,
        "entitled",
    )
    replied = sorted(await _events(tickets_connection, "ticket.replied"), key=lambda e: e["time"])
    assert [(r["data"]["customer_id"], r["data"]["body"]) for r in replied] == [
        (None, "Looking into it."),
        (demo_ids["Acme Water"], "Looking into it."),
    ]
    assert replied[1]["data"]["customer_only"] is True
    assert replied[1]["data"]["message_id"] == replied[0]["data"]["message_id"]


async def test_a_pending_case_naming_another_customers_contact_is_refused_later(
    tickets_database, tickets_connection, contracts_app, login, demo_ids, contracts_transport
):
    """A customer administrator cannot slip a case into another customer's desk by naming
    its contact while contracts is down: the later check, on Acme's behalf, is answered as
    for no contact at all; the case is refused and stays Acme's, with nothing of Cobalt's."""
    ana = await login("ana@acme-water.example")
    cora = demo_ids["cora@cobalt.example"]
    body = _case(demo_ids, contact_id=cora)
    ticket = await _open_while_contracts_is_down(
        tickets_database, tickets_connection, contracts_app, ana, body
    )
    assert ticket["customer_id"] == demo_ids["Acme Water"]
    settled, stored = await _recheck(
        tickets_database, tickets_connection, contracts_app, ticket["id"], contracts_transport
    )
    assert settled == 1
    assert _entitlement_checks(contracts_transport) == [(cora, demo_ids["Acme Water"], 404)]
    assert (stored.status, stored.entitlement_status) == ("CLOSED", "refused")
    assert stored.entitlement == {"reasons": ["CONTACT_NOT_FOUND"]}
    assert str(stored.customer_id) == demo_ids["Acme Water"]


async def test_the_timer_worker_fires_a_breach_within_seconds_of_its_instant(
    live, login, demo_ids, tickets_connection, live_app
):
    """Infotecs Premium: CRITICAL cases get a first response within 60 calendar minutes.
    A case received 59 min 58 s ago breaches in 2 s; the running worker announces it."""
    import asyncio

    agent = await login("agent@example.com")
    received = datetime.now(UTC) - timedelta(minutes=59, seconds=58)
    body = _case(
        demo_ids,
        contact_id=demo_ids["dan@delta.example"],
        priority="CRITICAL",
        received_at=received.isoformat(),
    )
    ticket = (await live.post("/v1/tickets", json=body, headers=agent)).json()
    due = datetime.fromisoformat(ticket["sla"][0]["due_at"])
    assert ticket["sla"][0]["breached"] is False

    stop = asyncio.Event()
    worker = asyncio.create_task(
        timers.run_timer_worker(
            live_app.state.database.sessionmaker, live_app.state.outbox, stop, poll_seconds=0.2
        )
    )
    try:
        for _ in range(60):  # at most 6 s
            if await _events(tickets_connection, "sla.breached"):
                break
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await worker
    breached = await _events(tickets_connection, "sla.breached")
    assert len(breached) == 1
    announced_at = datetime.fromisoformat(breached[0]["time"])
    assert timedelta(0) <= announced_at - due < timedelta(seconds=2)
    # The 75% warning was already past when the case was recorded: it fired at once.
    warnings = await _events(tickets_connection, "sla.warning")
    assert [w["data"]["metric"] for w in warnings] == ["FIRST_RESPONSE"]


async def test_several_cases_at_once_with_their_clocks(live, login, demo_ids):
    ana = await login("ana@acme-water.example")
    cora = await login("cora@cobalt.example")
    agent = await login("agent@example.com")
    first = (await live.post("/v1/tickets", json=_case(demo_ids), headers=ana)).json()
    second = (await live.post("/v1/tickets", json=_case(demo_ids), headers=ana)).json()
    other = (await live.post("/v1/tickets", json=_case(demo_ids), headers=cora)).json()
    ids = [second["id"], other["id"], first["id"]]

    batch = (await live.get("/v1/tickets/batch", params={"id": ids}, headers=agent)).json()
    assert [t["id"] for t in batch] == ids
    single = (await live.get(f"/v1/tickets/{first['id']}", headers=agent)).json()
    # The same clocks; only each read's "as of" instant (in the explanations) may differ
    # when the two reads fall in different seconds.
    settled = ("metric", "cycle", "priority", "target_minutes", "started_at", "due_at")
    assert [{k: c[k] for k in settled} for c in batch[2]["sla"]] == [
        {k: c[k] for k in settled} for c in single["sla"]
    ]
    # A customer gets only its own among them, in the order asked.
    mine = (await live.get("/v1/tickets/batch", params={"id": ids}, headers=ana)).json()
    assert [t["id"] for t in mine] == [second["id"], first["id"]]
    assert (await live.get("/v1/tickets/batch", headers=agent)).status_code == 422


async def test_where_the_plan_says_so_a_plain_contact_sees_only_its_own_cases(
    live, login, demo_ids, contracts_client
):
    """InfraCare: bo (administrator) opens cases, ben (a plain contact) may read them only
    while the plan shows contacts their customer's cases."""
    bo = await login("bo@borealis.example")
    ben = await login("ben@borealis.example")
    manager = await login("manager@example.com")
    shared = (
        await live.post("/v1/tickets", json=_case(demo_ids, version="3.0"), headers=bo)
    ).json()
    assert (await live.get(f"/v1/tickets/{shared['id']}", headers=ben)).status_code == 200

    plans = (await contracts_client.get("/v1/plans", headers=manager)).json()
    infracare = next(p for p in plans if p["code"] == "infracare")
    changed = await contracts_client.patch(
        f"/v1/plans/{infracare['id']}", json={"case_visibility": "own"}, headers=manager
    )
    assert changed.status_code == 200 and changed.json()["case_visibility"] == "own"
    private = (
        await live.post("/v1/tickets", json=_case(demo_ids, version="3.0"), headers=bo)
    ).json()

    assert (await live.get(f"/v1/tickets/{private['id']}", headers=ben)).status_code == 404
    listed = (await live.get("/v1/tickets", headers=ben)).json()
    assert [t["id"] for t in listed["items"]] == [shared["id"]]
    # The administrator sees all of its customer's cases.
    assert (await live.get("/v1/tickets", headers=bo)).json()["total"] == 2
