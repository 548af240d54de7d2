"""What contracts does with tickets' events, posted to ``POST /v1/events`` as tickets'
outbox relay posts them: with a service token, each event at least once."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select, update

from contracts.models import Agreement, BillableItem, Plan, QuotaEntry, inbox_events

pytestmark = pytest.mark.usefixtures("quick_demo_password")


@pytest.fixture
def post_event(client, service_headers):
    async def post(event_type, data, event_id=None):
        event = {
            "specversion": "1.0",
            "id": event_id or str(uuid.uuid4()),
            "source": "tickets",
            "type": event_type,
            "time": "2026-05-04T12:00:00Z",
            "data": data,
        }
        response = await client.post("/v1/events", json=event, headers=service_headers)
        assert response.status_code in (200, 202), response.text
        return event["id"], response.status_code

    return post


@pytest.fixture
def delta_basic(demo_ids):
    return demo_ids.agreements[("Delta Secure", "infotecs-basic")]


async def _ticket_entries(session, ticket):
    rows = await session.execute(
        select(QuotaEntry.kind, QuotaEntry.amount, QuotaEntry.idempotency_key).where(
            QuotaEntry.ticket_id == uuid.UUID(ticket)
        )
    )
    return sorted(rows.all())


async def _remaining(client, service_headers, agreement_id):
    response = await client.get(f"/v1/agreements/{agreement_id}/quota", headers=service_headers)
    return response.json()["remaining"]


async def test_a_closed_ticket_consumes_once_even_when_its_event_comes_twice(
    client, service_headers, post_event, delta_basic, session, outbox
):
    ticket = str(uuid.uuid4())
    closed = {"ticket_id": ticket, "agreement_id": str(delta_basic), "number": "CP-1"}
    event_id, status = await post_event("ticket.closed", closed)
    assert status == 202
    _, status = await post_event("ticket.closed", closed, event_id)
    assert status == 200
    assert await _ticket_entries(session, ticket) == [("consume", -1, f"event:tickets:{event_id}")]
    assert await _remaining(client, service_headers, delta_basic) == 39
    assert [e["ticket_id"] for e in await outbox("quota.consumed")] == [ticket]
    stored = await session.scalar(
        select(inbox_events.c.type).where(
            inbox_events.c.source == "tickets", inbox_events.c.id == event_id
        )
    )
    assert stored == "ticket.closed"


async def test_a_reopened_ticket_gives_its_ticket_back_until_closed_again(
    client, service_headers, post_event, delta_basic, session
):
    ticket = str(uuid.uuid4())
    data = {"ticket_id": ticket, "agreement_id": str(delta_basic)}
    await post_event("ticket.closed", data)
    reopened, _ = await post_event("ticket.reopened", data)
    assert await _remaining(client, service_headers, delta_basic) == 40
    await post_event("ticket.reopened", data, reopened)  # the relay's retry
    assert await _remaining(client, service_headers, delta_basic) == 40
    await post_event("ticket.closed", data)
    assert await _remaining(client, service_headers, delta_basic) == 39
    assert [(kind, amount) for kind, amount, _ in await _ticket_entries(session, ticket)] == [
        ("consume", -1),
        ("consume", -1),
        ("reversal", 1),
    ]
    # Reopened without having consumed anything: nothing to give back.
    await post_event("ticket.reopened", {**data, "ticket_id": str(uuid.uuid4())})
    assert await _remaining(client, service_headers, delta_basic) == 39


async def test_closed_tickets_that_do_not_count_are_left_alone(
    client, service_headers, post_event, delta_basic, demo_ids, session
):
    ticket = str(uuid.uuid4())
    acme = demo_ids.agreements[("Acme Water", "infocare")]  # a plan without quota
    for data in (
        {"ticket_id": ticket, "agreement_id": str(delta_basic), "counts_against_quota": False},
        {"ticket_id": ticket},
        {"ticket_id": ticket, "agreement_id": str(acme)},
        {"ticket_id": ticket, "agreement_id": str(uuid.uuid4())},
        {"ticket_id": "not-a-uuid", "agreement_id": str(delta_basic)},
        {"agreement_id": str(delta_basic)},
    ):
        _, status = await post_event("ticket.closed", data)
        assert status == 202
    assert await _ticket_entries(session, ticket) == []
    assert await _remaining(client, service_headers, delta_basic) == 40
    # An event nobody handles is still acknowledged, once.
    _, status = await post_event("ticket.opened", {"ticket_id": ticket})
    assert status == 202


async def test_a_closed_ticket_beyond_a_refusing_quota_is_reported_not_booked(
    client, staff, sign_in, post_event, new_plan, demo_ids, session, outbox
):
    manager = await sign_in(staff["MANAGER"])
    plan = await new_plan(client, manager, yearly=1, when_exhausted="refuse")
    agreement = (
        await client.post(
            "/v1/agreements",
            json={
                "customer_id": str(demo_ids.customers["Borealis Health"]),
                "plan_id": plan["id"],
                "commencement": "2026-01-01",
                "license_price": "100",
                "product_ids": [str(demo_ids.product)],
            },
            headers=manager,
        )
    ).json()["id"]
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    await post_event("ticket.closed", {"ticket_id": first, "agreement_id": agreement})
    _, status = await post_event("ticket.closed", {"ticket_id": second, "agreement_id": agreement})
    assert status == 202  # accepted: the case is closed whatever the quota says
    assert await _ticket_entries(session, second) == []
    assert await outbox("quota.consumption_refused") == [
        {"agreement_id": agreement, "ticket_id": second}
    ]


async def test_a_closed_ticket_beyond_a_billable_quota_is_billed(
    client, staff, sign_in, post_event, delta_basic, session
):
    manager = await sign_in(staff["MANAGER"])
    await client.post(
        f"/v1/agreements/{delta_basic}/quota/exchanges",
        json={"amount": 40, "service": "training"},
        headers=manager,
    )
    ticket = str(uuid.uuid4())
    event_id, _ = await post_event(
        "ticket.closed", {"ticket_id": ticket, "agreement_id": str(delta_basic)}
    )
    item = await session.scalar(select(BillableItem).where(BillableItem.ticket_id == ticket))
    assert (item.kind, item.unit, item.idempotency_key) == (
        "extra_ticket",
        "ticket",
        f"event:tickets:{event_id}",
    )
    assert item.occurred_at.isoformat() == "2026-05-04T12:00:00+00:00"


async def test_billable_activity_is_recorded_once(
    client, service_headers, post_event, demo_ids, session, outbox
):
    delta = str(demo_ids.customers["Delta Secure"])
    ticket = str(uuid.uuid4())
    session_id, status = await post_event(
        "ticket.billable_activity",
        {"customer_id": delta, "ticket_id": ticket, "kind": "other_support", "minutes": 45},
    )
    assert status == 202
    await post_event(
        "ticket.billable_activity",
        {"customer_id": delta, "ticket_id": ticket, "kind": "other_support", "minutes": 45},
        session_id,
    )
    call_id, _ = await post_event(
        "ticket.billable_activity",
        {
            "customer_id": delta,
            "ticket_id": ticket,
            "kind": "emergency_call",
            "occurred_at": "2026-05-02T03:15:00Z",
            "description": "Database down",
            "number": "CP-9",  # fields a billable item does not know are ignored
        },
    )
    items = (
        await client.get(
            "/v1/billable-items", params={"customer_id": delta}, headers=service_headers
        )
    ).json()["items"]
    assert [(i["kind"], i["quantity"], i["ticket_id"], i["occurred_at"]) for i in items] == [
        ("emergency_call", "1.00", ticket, "2026-05-02T03:15:00Z"),
        ("other_support", "1.00", ticket, "2026-05-04T12:00:00Z"),
    ]
    keys = set(
        await session.scalars(
            select(BillableItem.idempotency_key).where(BillableItem.ticket_id == ticket)
        )
    )
    assert keys == {f"event:tickets:{session_id}", f"event:tickets:{call_id}"}
    assert len(await outbox("billing.item_recorded")) == 2

    # An activity that can never be recorded is acknowledged and dropped, not retried forever.
    acme_agreement = str(demo_ids.agreements[("Acme Water", "infocare")])
    for data in (
        {"customer_id": delta, "kind": "lunch"},
        {"customer_id": str(uuid.uuid4()), "kind": "emergency_call"},
        {"customer_id": delta, "kind": "emergency_call", "agreement_id": acme_agreement},
    ):
        _, status = await post_event("ticket.billable_activity", data)
        assert status == 202, data
    assert len(await outbox("billing.item_recorded")) == 2


async def test_only_services_post_events(client, staff, sign_in, demo_ids):
    event = {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": "tickets",
        "type": "ticket.closed",
        "data": {},
    }
    for headers in (await sign_in(staff["ADMIN"]), await sign_in("dan@delta.example")):
        response = await client.post("/v1/events", json=event, headers=headers)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "ROLE_FORBIDDEN"
    assert (await client.post("/v1/events", json=event)).status_code == 401


async def test_a_premium_case_consumes_from_the_basic_agreement(
    client, service_headers, post_event, delta_basic, demo_ids, session
):
    """Infotecs Premium keeps no quota of its own: its resolved cases count against the
    customer's active Basic agreement."""
    premium = demo_ids.agreements[("Delta Secure", "infotecs-premium")]
    ticket = str(uuid.uuid4())
    await post_event("ticket.closed", {"ticket_id": ticket, "agreement_id": str(premium)})
    entries = await session.execute(
        select(QuotaEntry.agreement_id, QuotaEntry.kind).where(
            QuotaEntry.ticket_id == uuid.UUID(ticket)
        )
    )
    assert entries.all() == [(delta_basic, "consume")]
    assert await _remaining(client, service_headers, delta_basic) == 39


async def test_a_ticket_comes_back_only_when_reopened_within_the_plans_window(
    client, service_headers, post_event, delta_basic, session
):
    """The events say 2026-05-04; the plan's window is 14 days (the default)."""
    inside, outside = str(uuid.uuid4()), str(uuid.uuid4())
    for ticket, closed_at in ((inside, "2026-04-21T12:00:00Z"), (outside, "2026-04-19T12:00:00Z")):
        data = {"ticket_id": ticket, "agreement_id": str(delta_basic)}
        await post_event("ticket.closed", data)
        await post_event("ticket.reopened", {**data, "closed_at": closed_at})
    assert [k for k, _, _ in await _ticket_entries(session, inside)] == ["consume", "reversal"]
    assert [k for k, _, _ in await _ticket_entries(session, outside)] == ["consume"]
    assert await _remaining(client, service_headers, delta_basic) == 39

    # A plan's window is its own: with 30 days, the later reopen gives the ticket back too.
    plan = await session.scalar(select(Agreement.plan_id).where(Agreement.id == delta_basic))
    response = await client.get(f"/v1/plans/{plan}", headers=service_headers)
    quota = response.json()["quota"]
    assert quota["reopen_window_days"] == 14
    await session.execute(update(Plan).where(Plan.id == plan).values(reopen_window_days=30))
    late = str(uuid.uuid4())
    data = {"ticket_id": late, "agreement_id": str(delta_basic)}
    await post_event("ticket.closed", data)
    await post_event("ticket.reopened", {**data, "closed_at": "2026-04-19T12:00:00Z"})
    assert [k for k, _, _ in await _ticket_entries(session, late)] == ["consume", "reversal"]
