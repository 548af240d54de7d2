"""Billable items: recorded (idempotently), rounded, listed per customer and period."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from contracts.models import BillableItem

pytestmark = pytest.mark.usefixtures("quick_demo_password")


@pytest.fixture
async def agent(staff, sign_in):
    return await sign_in(staff["AGENT"])


@pytest.fixture
def record(client, agent, demo_ids):
    async def create(customer="Cobalt Logistics", headers=None, **fields):
        body = {
            "customer_id": str(demo_ids.customers.get(customer, customer)),
            "kind": "other_support",
            "occurred_at": "2026-03-02T10:00:00+01:00",
            **fields,
        }
        return await client.post("/v1/billable-items", json=body, headers=headers or agent)

    return create


async def test_other_support_is_billed_per_started_half_hour(record):
    for minutes, hours in [(1, "0.50"), (30, "0.50"), (31, "1.00"), (61, "1.50"), (95, "2.00")]:
        response = await record(minutes=minutes)
        assert response.status_code == 201, response.text
        item = response.json()
        assert (item["kind"], item["unit"], item["minutes_worked"]) == (
            "other_support",
            "hour",
            minutes,
        )
        assert item["quantity"] == hours, minutes


async def test_items_are_recorded_as_given_and_announced(
    client, agent, record, demo_ids, session, outbox
):
    ticket = str(uuid.uuid4())
    agreement = str(demo_ids.agreements[("Delta Secure", "infotecs-premium")])
    response = await record(
        "Delta Secure",
        kind="emergency_call",
        ticket_id=ticket,
        agreement_id=agreement,
        description="Saturday night outage",
    )
    assert response.status_code == 201, response.text
    call = response.json()
    assert call["customer_id"] == str(demo_ids.customers["Delta Secure"])
    assert (call["kind"], call["unit"], call["ticket_id"], call["agreement_id"]) == (
        "emergency_call",
        "call",
        ticket,
        agreement,
    )
    assert Decimal(call["quantity"]) == 1
    assert call["description"] == "Saturday night outage"
    assert call["occurred_at"].startswith("2026-03-02T09:00:00")

    visit = (await record("Delta Secure", kind="onsite_visit", quantity="2")).json()
    assert (visit["unit"], Decimal(visit["quantity"])) == ("visit", 2)

    (event,) = [e for e in await outbox("billing.item_recorded") if e["ticket_id"] == ticket]
    assert (event["billable_item_id"], event["kind"], event["unit"]) == (
        call["id"],
        "emergency_call",
        "call",
    )
    stored = await session.get(BillableItem, uuid.UUID(call["id"]))
    assert (stored.customer_id, stored.kind) == (
        demo_ids.customers["Delta Secure"],
        "emergency_call",
    )


async def test_the_same_idempotency_key_records_once(record, session, outbox):
    first = await record(minutes=45, idempotency_key="tickets:session:81")
    assert first.status_code == 201
    again = await record(minutes=45, idempotency_key="tickets:session:81")
    assert again.status_code == 200
    assert again.json() == first.json()
    count = await session.scalar(
        select(func.count())
        .select_from(BillableItem)
        .where(BillableItem.idempotency_key == "tickets:session:81")
    )
    assert count == 1
    assert len(await outbox("billing.item_recorded")) == 1


async def test_the_same_idempotency_key_for_another_item_is_refused(record, session, outbox):
    first = await record(minutes=45, idempotency_key="tickets:session:82")
    assert first.status_code == 201
    # The same item written another way (the same instant in UTC) is a replay…
    again = await record(
        minutes=45, idempotency_key="tickets:session:82", occurred_at="2026-03-02T09:00:00Z"
    )
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    # …another item under the same key is refused, not answered with the first one.
    for changed in ({"minutes": 90}, {"description": "more"}, {"kind": "service_request"}):
        response = await record(**{"minutes": 45, **changed}, idempotency_key="tickets:session:82")
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    count = await session.scalar(
        select(func.count())
        .select_from(BillableItem)
        .where(BillableItem.idempotency_key == "tickets:session:82")
    )
    assert count == 1
    assert len(await outbox("billing.item_recorded")) == 1


async def test_items_are_listed_per_customer_kind_and_period(client, agent, record, demo_ids):
    cobalt = str(demo_ids.customers["Cobalt Logistics"])
    made = {}
    for name, customer, kind, at in [
        ("jan", "Cobalt Logistics", "other_support", "2026-01-31T23:59:59Z"),
        ("feb", "Cobalt Logistics", "service_request", "2026-02-01T00:00:00Z"),
        ("mar", "Cobalt Logistics", "other_support", "2026-03-01T00:00:00Z"),
        ("delta", "Delta Secure", "other_support", "2026-02-10T00:00:00Z"),
    ]:
        response = await record(customer, kind=kind, occurred_at=at, minutes=20)
        assert response.status_code == 201
        made[name] = response.json()["id"]

    async def listed(**params):
        response = await client.get("/v1/billable-items", params=params, headers=agent)
        assert response.status_code == 200, response.text
        return [i["id"] for i in response.json()["items"]]

    assert await listed(customer_id=cobalt) == [made["jan"], made["feb"], made["mar"]]
    # February: since inclusive, until exclusive.
    assert await listed(since="2026-02-01T00:00:00Z", until="2026-03-01T00:00:00Z") == [
        made["feb"],
        made["delta"],
    ]
    assert await listed(customer_id=cobalt, kind="other_support") == [made["jan"], made["mar"]]
    page = (
        await client.get("/v1/billable-items", params={"limit": 1, "offset": 1}, headers=agent)
    ).json()
    assert (page["total"], [i["id"] for i in page["items"]]) == (4, [made["feb"]])

    for since, until in [
        ("2026-03-01T00:00:00Z", "2026-02-01T00:00:00Z"),
        ("2026-03-01T00:00:00Z", "2026-03-01T00:00:00Z"),
    ]:
        response = await client.get(
            "/v1/billable-items", params={"since": since, "until": until}, headers=agent
        )
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "PERIOD_OUT_OF_ORDER"
    response = await client.get("/v1/billable-items", params={"kind": "lunch"}, headers=agent)
    assert response.status_code == 422


async def test_bad_records_are_refused(record, sign_in, demo_ids):
    response = await record(str(uuid.uuid4()))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "CUSTOMER_NOT_FOUND"
    for fields in (
        {"kind": "lunch"},
        {"minutes": 0},
        {"quantity": "-1"},
        {"occurred_at": "yesterday"},
        {"price": "100"},
    ):
        response = await record(**fields)
        assert response.status_code == 422, fields
        assert response.json()["error"]["code"] == "VALIDATION_ERROR"

    # The agreement must exist and be the customer's own.
    for agreement in (uuid.uuid4(), demo_ids.agreements[("Acme Water", "infocare")]):
        response = await record(agreement_id=str(agreement))
        assert response.status_code == 422, agreement
        assert response.json()["error"]["code"] == "AGREEMENT_NOT_FOUND"

    cora = await sign_in("cora@cobalt.example")
    response = await record(headers=cora, minutes=10)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "ROLE_FORBIDDEN"


async def test_an_other_support_session_needs_its_minutes(record):
    response = await record()
    assert (response.status_code, response.json()["error"]["code"]) == (422, "MINUTES_REQUIRED")
