"""The tenant wall on tickets: each kind of caller (a plain contact, a customer
administrator, an API key bound to a customer, the vendor's own integration key with and
without scopes, a service account, an agent) against its own and another customer's
cases, through the real tickets app with the real contracts app answering entitlement,
on real PostgreSQL."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from careplane_shared.auth import Principal, Role, StaticKeySource, TokenVerifier
from careplane_shared.testing import TokenMinter
from tickets import access
from tickets.models import Ticket, outbox_events
from tickets.ticket.events import event_data


def _case(ids: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {
        "product_id": ids["tideway"],
        "version": "3.1",
        "subject": "Pump curve import fails",
        "description": "The import of the pump curves stops with E-77.",
        **extra,
    }


def _error(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


@pytest.fixture
async def mint(live_app, contracts_app, tickets_minter: TokenMinter):
    """Headers for any claims, next to the demo accounts' real tokens: the app accepts
    both contracts' keys and the test minter's."""
    keys = [*contracts_app.state.signing_key.jwks["keys"], *tickets_minter.jwks["keys"]]
    live_app.state.token_verifier = TokenVerifier(
        StaticKeySource({"keys": keys}), issuer="careplane", audience="careplane"
    )

    def headers(role: Role, **claims: Any) -> dict[str, str]:
        return tickets_minter.headers(role, iss="careplane", **claims)

    return headers


@pytest.fixture
async def callers(mint, demo_ids) -> dict[str, dict[str, str]]:
    acme = demo_ids["Acme Water"]

    def person(role: Role, email: str, customer: str | None) -> dict[str, str]:
        # The claims contracts signs into a password token (without its argon2 cost).
        return mint(
            role, subject=demo_ids.get(email, str(uuid.uuid4())), customer_id=customer, email=email
        )

    return {
        "ana": person(Role.CUSTOMER_ADMIN, "ana@acme-water.example", acme),
        "cora": person(Role.CUSTOMER_ADMIN, "cora@cobalt.example", demo_ids["Cobalt Logistics"]),
        "ben": person(Role.CONTACT, "ben@borealis.example", demo_ids["Borealis Health"]),
        "agent": person(Role.AGENT, "agent@example.com", None),
        # A key bound to Acme (minted by its administrator), able to write tickets.
        "acme_key": mint(Role.INTEGRATION, customer_id=acme, scope="tickets:write"),
        "acme_key_read": mint(Role.INTEGRATION, customer_id=acme, scope="tickets:read"),
        "acme_key_unscoped": mint(Role.INTEGRATION, customer_id=acme),
        # The vendor's own integration keys (CRM sync, phone intake).
        "vendor_key": mint(Role.INTEGRATION, scope="tickets:write contracts:read"),
        "vendor_key_unscoped": mint(Role.INTEGRATION),
        "service": mint(Role.SERVICE, subject="svc-notify"),
    }


@pytest.fixture
async def cases(live, callers, demo_ids) -> dict[str, dict[str, Any]]:
    """One case of Acme (with an internal note and an internal escalation) and one of
    Cobalt."""
    acme = (await live.post("/v1/tickets", json=_case(demo_ids), headers=callers["ana"])).json()
    cobalt = (await live.post("/v1/tickets", json=_case(demo_ids), headers=callers["cora"])).json()
    agent = callers["agent"]
    base = f"/v1/tickets/{acme['id']}"
    note = await live.post(
        f"{base}/messages", json={"body": "Customer on old build.", "internal": True}, headers=agent
    )
    assert note.status_code == 201, note.text
    reply = await live.post(f"{base}/messages", json={"body": "Which build?"}, headers=agent)
    assert reply.status_code == 201, reply.text
    escalated = await live.post(
        f"{base}/escalations",
        json={"kind": "INTERNAL", "reason": "Hand to the hydraulics team", "team": "Hydraulics"},
        headers=agent,
    )
    assert escalated.status_code == 200, escalated.text
    return {"acme": acme, "cobalt": cobalt}


# -- reading: own tenant only, no staff-only content -----------------------------------------


async def test_acme_callers_see_acme_only_and_nothing_internal(live, callers, cases):
    for who in ("ana", "acme_key", "acme_key_read", "acme_key_unscoped"):
        await _sees_acme_only(live, callers[who], cases)


async def _sees_acme_only(live, headers, cases):
    acme, cobalt = cases["acme"], cases["cobalt"]
    assert (await live.get(f"/v1/tickets/{acme['id']}", headers=headers)).status_code == 200
    other = await live.get(f"/v1/tickets/{cobalt['id']}", headers=headers)
    assert _error(other) == (404, "TICKET_NOT_FOUND")
    by_number = await live.get(f"/v1/tickets/by-number/{cobalt['number']}", headers=headers)
    assert _error(by_number) == (404, "TICKET_NOT_FOUND")
    for path in ("messages", "history", "attachments"):
        hidden = await live.get(f"/v1/tickets/{cobalt['id']}/{path}", headers=headers)
        assert _error(hidden) == (404, "TICKET_NOT_FOUND")

    listed = (await live.get("/v1/tickets", headers=headers)).json()
    assert [t["id"] for t in listed["items"]] == [acme["id"]]
    asked_for_cobalt = await live.get(
        "/v1/tickets", params={"customer_id": cobalt["customer_id"]}, headers=headers
    )
    assert asked_for_cobalt.json()["total"] == 0
    batch = await live.get(
        "/v1/tickets/batch", params={"id": [cobalt["id"], acme["id"]]}, headers=headers
    )
    assert [t["id"] for t in batch.json()] == [acme["id"]]

    messages = (await live.get(f"/v1/tickets/{acme['id']}/messages", headers=headers)).json()
    assert [(m["body"], m["internal"]) for m in messages] == [("Which build?", False)]
    history = (await live.get(f"/v1/tickets/{acme['id']}/history", headers=headers)).json()
    assert "ESCALATED" not in [h["kind"] for h in history]
    assert all("hydraulics" not in (h["reason"] or "") for h in history)
    # The customer still sees that its case is escalated.
    assert history[-1]["to_value"] == "ESCALATED"


async def test_the_vendor_side_sees_every_customer_and_internal_content(live, callers, cases):
    for who in ("agent", "vendor_key", "vendor_key_unscoped", "service"):
        await _sees_everything(live, callers[who], cases)


async def _sees_everything(live, headers, cases):
    acme, cobalt = cases["acme"], cases["cobalt"]
    listed = (await live.get("/v1/tickets", headers=headers)).json()
    assert {acme["id"], cobalt["id"]} <= {t["id"] for t in listed["items"]}
    messages = (await live.get(f"/v1/tickets/{acme['id']}/messages", headers=headers)).json()
    assert [m["internal"] for m in messages] == [True, False]
    history = (await live.get(f"/v1/tickets/{acme['id']}/history", headers=headers)).json()
    escalations = [h for h in history if h["kind"] == "ESCALATED"]
    assert [(h["to_value"], h["reason"]) for h in escalations] == [
        ("INTERNAL", "Hand to the hydraulics team")
    ]


async def test_a_plain_contact_sees_only_its_customers_cases(live, mint, demo_ids, cases):
    acme, cobalt = cases["acme"], cases["cobalt"]
    contact = mint(Role.CONTACT, customer_id=demo_ids["Acme Water"])
    assert (await live.get(f"/v1/tickets/{acme['id']}", headers=contact)).status_code == 200
    hidden = await live.get(f"/v1/tickets/{cobalt['id']}", headers=contact)
    assert _error(hidden) == (404, "TICKET_NOT_FOUND")
    messages = (await live.get(f"/v1/tickets/{acme['id']}/messages", headers=contact)).json()
    assert [m["internal"] for m in messages] == [False]


# -- writing: what each caller may change ------------------------------------------------------


async def test_customers_write_no_internal_notes_or_escalations(live, callers, cases):
    base = f"/v1/tickets/{cases['acme']['id']}"
    for who in ("ana", "acme_key", "ben"):
        headers = callers[who]
        note = await live.post(
            f"{base}/messages", json={"body": "psst", "internal": True}, headers=headers
        )
        assert _error(note) == (403, "INTERNAL_NOTE_FORBIDDEN"), who
        internal = await live.post(
            f"{base}/escalations", json={"kind": "INTERNAL", "reason": "x"}, headers=headers
        )
        assert _error(internal) == (403, "ROLE_FORBIDDEN"), who
    messages = (await live.get(f"{base}/messages", headers=callers["agent"])).json()
    assert "psst" not in [m["body"] for m in messages]


async def test_an_internal_escalations_reason_stays_in_tickets(cases, tickets_connection):
    """The event reaches the customer's own webhooks: no internal reason in it."""
    rows = await tickets_connection.execute(
        select(outbox_events.c.envelope).where(outbox_events.c.type == "ticket.escalated")
    )
    data = {r.envelope["id"]: r.envelope["data"] for r in rows}
    assert [(d["kind"], d.get("reason")) for d in data.values()] == [("INTERNAL", None)]


async def test_customers_move_no_status_assignee_or_priority(live, callers, cases):
    for first, who in ((True, "ana"), (False, "acme_key")):
        await _moves_nothing(live, callers[who], cases, first_escalation=first)


async def _moves_nothing(live, headers, cases, *, first_escalation):
    base = f"/v1/tickets/{cases['acme']['id']}"
    moved = await live.post(f"{base}/status", json={"status": "WORKING"}, headers=headers)
    assert _error(moved) == (403, "ROLE_FORBIDDEN")
    closed = await live.post(f"{base}/close", json={"resolution": "done"}, headers=headers)
    assert _error(closed) == (403, "ROLE_FORBIDDEN")
    assigned = await live.post(
        f"{base}/assignee", json={"assignee_id": str(uuid.uuid4())}, headers=headers
    )
    assert _error(assigned) == (403, "ROLE_FORBIDDEN")
    priority = await live.post(
        f"{base}/priority", json={"priority": "HIGH", "reason": "urgent"}, headers=headers
    )
    assert _error(priority) == (403, "CHANGE_REQUEST_REQUIRED")
    assert priority.json()["error"]["details"] == {"field": "priority"}
    # Another customer's case is not found, whatever the change.
    other = await live.post(
        f"/v1/tickets/{cases['cobalt']['id']}/priority",
        json={"priority": "HIGH", "reason": "urgent"},
        headers=headers,
    )
    assert _error(other) == (404, "TICKET_NOT_FOUND")
    # A customer escalation and a public reply are theirs to make.
    escalated = await live.post(
        f"{base}/escalations", json={"kind": "CUSTOMER", "reason": "No answer"}, headers=headers
    )
    if first_escalation:
        assert escalated.status_code == 200, escalated.text
    else:  # one open customer escalation per case
        assert _error(escalated) == (409, "ESCALATION_OPEN")
    replied = await live.post(f"{base}/messages", json={"body": "Build 3.1.4"}, headers=headers)
    assert replied.status_code == 201, replied.text
    assert replied.json()["author_kind"] == "customer"


async def test_staff_change_priority_integrations_do_not(live, callers, cases):
    base = f"/v1/tickets/{cases['acme']['id']}"
    body = {"priority": "HIGH", "reason": "Production down"}
    vendor = await live.post(f"{base}/priority", json=body, headers=callers["vendor_key"])
    assert _error(vendor) == (403, "ROLE_FORBIDDEN")
    changed = await live.post(f"{base}/priority", json=body, headers=callers["agent"])
    assert changed.status_code == 200, changed.text
    assert changed.json()["priority"] == "HIGH"


async def test_keys_write_only_with_the_write_scope(live, callers, cases, demo_ids):
    case = _case(demo_ids, contact_id=demo_ids["ana@acme-water.example"])
    messages = f"/v1/tickets/{cases['acme']['id']}/messages"
    refused = [
        ("acme_key_read", "/v1/tickets", case),
        ("acme_key_unscoped", "/v1/tickets", case),
        ("vendor_key_unscoped", "/v1/tickets", case),
        ("acme_key_read", messages, {"body": "hi"}),
        ("vendor_key_unscoped", messages, {"body": "hi"}),
        ("acme_key_unscoped", f"{messages[: -len('/messages')]}/reopen", {"reason": "x"}),
    ]
    for who, path, body in refused:
        response = await live.post(path, json=body, headers=callers[who])
        assert _error(response) == (403, "SCOPE_FORBIDDEN"), (who, path)
        assert response.json()["error"]["details"]["required"] == "tickets:write"
    # Reading needs no write scope.
    for who in ("acme_key_read", "acme_key_unscoped", "vendor_key_unscoped"):
        assert (await live.get(messages, headers=callers[who])).status_code == 200


# -- opening: SLA inputs are the vendor's ------------------------------------------------------


async def test_customers_set_no_sla_inputs(live, callers, demo_ids, tickets_connection):
    inputs = [
        ("received_at", "2026-01-05T09:00:00+00:00"),
        ("channel", "phone"),
        ("channel", "email"),
        ("channel", "chat"),
    ]
    for who, (field, value) in itertools.product(("ana", "acme_key"), inputs):
        body = _case(demo_ids, contact_id=demo_ids["ana@acme-water.example"], **{field: value})
        response = await live.post("/v1/tickets", json=body, headers=callers[who])
        assert _error(response) == (403, "FIELD_FORBIDDEN"), (who, field)
        assert response.json()["error"]["details"] == {"field": field}
    assert (await tickets_connection.execute(select(Ticket.id))).all() == []


async def test_customers_keep_the_priority_they_choose_and_their_defaults(live, callers, demo_ids):
    # What the gateway sends for a customer: the defaults spelled out.
    body = _case(
        demo_ids,
        contact_id=demo_ids["ana@acme-water.example"],
        priority="HIGH",
        received_at=None,
        channel="api",
    )
    for who, channel in (("ana", "portal"), ("acme_key", "api")):
        response = await live.post(
            "/v1/tickets", json={**body, "channel": channel}, headers=callers[who]
        )
        assert response.status_code == 201, response.text
        assert (response.json()["priority"], response.json()["channel"]) == ("HIGH", channel)


async def test_the_vendor_side_sets_sla_inputs(live, callers, demo_ids, tickets_connection):
    for who in ("agent", "vendor_key"):
        await _sets_sla_inputs(live, callers[who], demo_ids, tickets_connection)


async def _sets_sla_inputs(live, headers, demo_ids, tickets_connection):
    received = (datetime.now(UTC) - timedelta(minutes=30)).replace(microsecond=0)
    body = _case(
        demo_ids,
        contact_id=demo_ids["ana@acme-water.example"],
        received_at=received.isoformat(),
        channel="phone",
    )
    response = await live.post("/v1/tickets", json=body, headers=headers)
    assert response.status_code == 201, response.text
    ticket = response.json()
    assert ticket["channel"] == "phone"
    assert datetime.fromisoformat(ticket["received_at"]) == received
    # Whether it is a visit case is the visits workflow's to say (tests: test_visits_api).
    stored = await tickets_connection.scalar(
        select(Ticket.scheduled_visit).where(Ticket.id == uuid.UUID(ticket["id"]))
    )
    assert stored is False


async def test_a_bound_key_names_its_requester(live, callers, demo_ids):
    response = await live.post("/v1/tickets", json=_case(demo_ids), headers=callers["acme_key"])
    assert _error(response) == (422, "CONTACT_REQUIRED")
    opened = await live.post(
        "/v1/tickets",
        json=_case(demo_ids, contact_id=demo_ids["ana@acme-water.example"]),
        headers=callers["acme_key"],
    )
    assert opened.status_code == 201, opened.text
    assert opened.json()["customer_id"] == demo_ids["Acme Water"]


# -- no oracles: another customer's contact is an unknown one ----------------------------------


def _answer(response: Any) -> tuple[int, dict[str, Any]]:
    body = response.json()
    body["error"].pop("request_id", None)
    return response.status_code, body


async def test_another_customers_contact_answers_as_an_unknown_one(
    live, callers, demo_ids, tickets_connection
):
    for who in ("ana", "acme_key"):
        await _no_oracle(live, callers[who], demo_ids)
    assert (await tickets_connection.execute(select(Ticket.id))).all() == []


async def _no_oracle(live, headers, demo_ids):
    unknown = str(uuid.uuid4())
    # Ben is refused at Borealis (administrators only), Finn's customer is suspended,
    # Eve's agreement expired: none of those reasons may show through.
    strangers = [
        demo_ids["ben@borealis.example"],
        demo_ids["finn@fjord.example"],
        demo_ids["eve@echo.example"],
        demo_ids["cora@cobalt.example"],
    ]
    expected = _answer(
        await live.post("/v1/tickets", json=_case(demo_ids, contact_id=unknown), headers=headers)
    )
    assert expected == (
        404,
        {"error": {"code": "CONTACT_NOT_FOUND", "message": "No such contact."}},
    )
    for contact in strangers:
        answer = await live.post(
            "/v1/tickets", json=_case(demo_ids, contact_id=contact), headers=headers
        )
        assert _answer(answer) == expected, contact
    # Even with a product that does not exist: the contact is checked first, the same way.
    no_product = {"product_id": str(uuid.uuid4())}
    for contact in [unknown, *strangers]:
        answer = await live.post(
            "/v1/tickets", json=_case(demo_ids, contact_id=contact, **no_product), headers=headers
        )
        assert _answer(answer) == expected, contact


async def test_opening_for_a_colleague_costs_one_call_to_contracts(
    live, mint, callers, demo_ids, contracts_transport
):
    """A customer's caller opening a case for another contact: one entitlement check on
    the caller's customer's behalf, no lookup of the contact before it, whether the
    contact is a colleague (entitled or refused) or another customer's."""
    acme, borealis = demo_ids["Acme Water"], demo_ids["Borealis Health"]
    ana, ben = demo_ids["ana@acme-water.example"], demo_ids["ben@borealis.example"]
    another_acme_admin = mint(Role.CUSTOMER_ADMIN, customer_id=acme, email="al@acme.example")
    bo = mint(
        Role.CUSTOMER_ADMIN,
        subject=demo_ids["bo@borealis.example"],
        customer_id=borealis,
        email="bo@borealis.example",
    )
    attempts = [
        # caller, contact, its customer, tickets' answer, contracts' answer
        (another_acme_admin, ana, acme, 201, 200),
        (callers["acme_key"], ana, acme, 201, 200),
        (bo, ben, borealis, 403, 200),  # Borealis' plan: administrators only
        (callers["ana"], demo_ids["cora@cobalt.example"], acme, 404, 404),
    ]
    for headers, contact, customer, status, contracts_status in attempts:
        contracts_transport.clear()
        response = await live.post(
            "/v1/tickets", json=_case(demo_ids, contact_id=contact), headers=headers
        )
        assert response.status_code == status, response.text
        assert _calls(contracts_transport) == [
            (
                "POST",
                "/v1/entitlements/check",
                {**_checked(demo_ids, contact), "customer_id": customer},
                contracts_status,
            )
        ]
    # The vendor's side asks for any customer's contact, on nobody's behalf.
    contracts_transport.clear()
    response = await live.post(
        "/v1/tickets", json=_case(demo_ids, contact_id=ana), headers=callers["agent"]
    )
    assert response.status_code == 201, response.text
    assert _calls(contracts_transport) == [
        ("POST", "/v1/entitlements/check", _checked(demo_ids, ana), 200)
    ]


def _checked(ids: dict[str, str], contact: str) -> dict[str, Any]:
    return {"contact_id": contact, "product_id": ids["tideway"], "version": "3.1"}


def _calls(transport: Any) -> list[tuple[str, str, Any, int]]:
    """The calls to contracts' API, each body without its time (``at``: when the case
    arrived, which must be there)."""
    calls = []
    for call in transport.api_calls():
        body = call.json
        if body is not None:
            body = dict(body)
            assert datetime.fromisoformat(body.pop("at")).tzinfo is not None
        calls.append((call.method, call.path, body, call.status))
    return calls


async def test_a_plain_contact_opens_for_itself_only(live, callers, demo_ids):
    for contact in (demo_ids["bo@borealis.example"], demo_ids["ana@acme-water.example"]):
        answer = await live.post(
            "/v1/tickets", json=_case(demo_ids, contact_id=contact), headers=callers["ben"]
        )
        assert _error(answer) == (403, "CONTACT_FORBIDDEN")


async def test_staff_learn_entitlement_reasons(live, callers, demo_ids):
    refused = await live.post(
        "/v1/tickets",
        json=_case(demo_ids, contact_id=demo_ids["finn@fjord.example"]),
        headers=callers["agent"],
    )
    assert _error(refused) == (403, "NOT_ENTITLED")
    assert "CUSTOMER_SUSPENDED" in refused.json()["error"]["details"]["reasons"]


# -- reports and the triage queue --------------------------------------------------------------


async def test_reports_stay_inside_the_tenant(live, callers, cases, demo_ids):
    period = {
        "from": (datetime.now(UTC) - timedelta(days=1)).isoformat(),
        "to": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
    }
    for who in ("ana", "acme_key"):
        report = await live.get(
            "/v1/sla/report",
            params={**period, "customer_id": demo_ids["Cobalt Logistics"]},
            headers=callers[who],
        )
        assert report.status_code == 200, report.text
        assert (report.json()["customer_id"], report.json()["tickets"]) == (
            demo_ids["Acme Water"],
            1,
        )
    for who in ("ben", "vendor_key"):
        refused = await live.get("/v1/sla/report", params=period, headers=callers[who])
        assert _error(refused) == (403, "ROLE_FORBIDDEN")
    everyone = await live.get("/v1/sla/report", params=period, headers=callers["agent"])
    assert everyone.json()["tickets"] == 2


async def test_the_triage_queue_is_staffs(live, callers):
    for who in ("ana", "acme_key", "vendor_key", "ben"):
        refused = await live.get("/v1/triage", headers=callers[who])
        assert _error(refused) == (403, "ROLE_FORBIDDEN"), who
    assert (await live.get("/v1/triage", headers=callers["agent"])).status_code == 200


# -- one rule, three spellings -----------------------------------------------------------------


async def test_the_case_rule_the_sql_clause_and_the_live_filter_agree(tickets_connection):
    """Every kind of caller against cases of two customers, asked by two contacts, under
    both visibilities: the predicate, the SQL clause and the live-event filter agree."""
    from sqlalchemy.ext.asyncio import AsyncSession

    acme, cobalt = uuid.uuid4(), uuid.uuid4()
    alice, bob = uuid.uuid4(), uuid.uuid4()
    session = AsyncSession(bind=tickets_connection)
    tickets = []
    for n, (customer, contact, visibility) in enumerate(
        itertools.product([acme, cobalt, None], [alice, bob], ["customer", "own"])
    ):
        ticket = Ticket(
            id=uuid.uuid4(),
            number=f"T-2026-{n:06d}",
            customer_id=customer,
            contact_id=contact,
            product_id=uuid.uuid4(),
            version="1",
            subject="s",
            description="d",
            type="question",
            channel="api",
            status="OPEN",
            received_at=datetime.now(UTC),
            entitlement_status="entitled",
            case_visibility=visibility,
            opened_by="test",
        )
        tickets.append(ticket)
    session.add_all(tickets)
    await session.flush()
    principals = [
        Principal(subject=str(alice), role=Role.CONTACT, customer_id=acme),
        Principal(subject=str(bob), role=Role.CUSTOMER_ADMIN, customer_id=acme),
        Principal(subject="acme-key", role=Role.INTEGRATION, customer_id=acme),
        Principal(subject="crm", role=Role.INTEGRATION),
        Principal(subject="svc-notify", role=Role.SERVICE),
        Principal(subject="agent", role=Role.AGENT),
    ]
    ids = [t.id for t in tickets]
    for principal in principals:
        by_rule = {t.id for t in tickets if access.may_see_ticket(principal, t)}
        by_sql = set(
            await session.scalars(
                select(Ticket.id).where(Ticket.id.in_(ids), access.visible_clause(principal))
            )
        )
        by_event = {t.id for t in tickets if access.visible(principal, event_data(t))}
        assert by_rule == by_sql == by_event, principal
        if principal.is_vendor_side:
            assert by_rule == set(ids)
        else:
            assert {t.customer_id for t in tickets if t.id in by_rule} == {acme}
    alice_sees = {
        (t.contact_id, t.case_visibility)
        for t in tickets
        if access.may_see_ticket(principals[0], t)
    }
    assert alice_sees == {(alice, "customer"), (alice, "own"), (bob, "customer")}
    await session.close()
