"""The ticket quota ledger: summary, consumption (idempotent, reversible, billable or refused
when used up), purchases, exchanges, and consumption under concurrency."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import func, select

from careplane_shared.testing import asgi_client, bearer, password_token
from contracts.models import BillableItem, QuotaEntry

pytestmark = pytest.mark.usefixtures("quick_demo_password")


@pytest.fixture
async def manager(staff, sign_in):
    return await sign_in(staff["MANAGER"])


@pytest.fixture
def delta_basic(demo_ids):
    """Delta Secure's Infotecs Basic year: 40 tickets, rollover, billable when used up."""
    return demo_ids.agreements[("Delta Secure", "infotecs-basic")]


async def _entries(session, agreement_id, **where):
    query = select(QuotaEntry.kind, QuotaEntry.amount).where(
        QuotaEntry.agreement_id == uuid.UUID(str(agreement_id))
    )
    for name, value in where.items():
        query = query.where(getattr(QuotaEntry, name) == value)
    return sorted((kind, amount) for kind, amount in await session.execute(query))


async def test_a_new_year_starts_with_its_grant(client, sign_in, delta_basic):
    dan = await sign_in("dan@delta.example")
    response = await client.get(f"/v1/agreements/{delta_basic}/quota", headers=dan)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "agreement_id": str(delta_basic),
        "yearly": 40,
        "granted": 40,
        "consumed": 0,
        "remaining": 40,
        "when_exhausted": "billable",
        "rollover": True,
    }
    entries = (await client.get(f"/v1/agreements/{delta_basic}/quota/entries", headers=dan)).json()
    assert entries["total"] == 1
    (grant,) = entries["items"]
    assert (grant["kind"], grant["amount"], grant["note"], grant["ticket_id"]) == (
        "grant",
        40,
        "year 1",
        None,
    )


async def test_consumption_is_idempotent_per_ticket_and_a_reversal_gives_it_back(
    client, service_headers, delta_basic, session, outbox
):
    url = f"/v1/agreements/{delta_basic}/quota"
    ticket = str(uuid.uuid4())

    async def book(action, ticket_id=ticket, **extra):
        response = await client.post(
            f"{url}/{action}", json={"ticket_id": ticket_id, **extra}, headers=service_headers
        )
        assert response.status_code == 200, response.text
        return response.json()

    first = await book("consume")
    assert (first["outcome"], first["remaining"]) == ("consumed", 39)
    again = await book("consume")
    assert (again["outcome"], again["remaining"], again["entry_id"]) == (
        "duplicate",
        39,
        first["entry_id"],
    )
    assert await _entries(session, delta_basic, ticket_id=uuid.UUID(ticket)) == [("consume", -1)]
    assert [(e["ticket_id"], e["remaining"]) for e in await outbox("quota.consumed")] == [
        (ticket, 39)
    ]

    reversed_ = await book("reversal")
    assert (reversed_["outcome"], reversed_["remaining"]) == ("reversed", 40)
    assert (await book("reversal"))["outcome"] == "duplicate"
    assert (await book("reversal", str(uuid.uuid4())))["outcome"] == "nothing_to_reverse"
    assert [e["remaining"] for e in await outbox("quota.reversed")] == [40]
    summary = (await client.get(url, headers=service_headers)).json()
    assert (summary["consumed"], summary["remaining"]) == (0, 40)

    # Resolved again after the reopen: booked again, and reopened again: given back again.
    assert (await book("consume"))["outcome"] == "consumed"
    assert (await book("consume"))["outcome"] == "duplicate"
    assert (await book("reversal"))["outcome"] == "reversed"
    assert await _entries(session, delta_basic, ticket_id=uuid.UUID(ticket)) == [
        ("consume", -1),
        ("consume", -1),
        ("reversal", 1),
        ("reversal", 1),
    ]

    # A caller's own key names the booking: the same key twice books once.
    keyed = await book("consume", str(uuid.uuid4()), idempotency_key="crm-booking-1")
    assert keyed["outcome"] == "consumed"
    assert (await book("consume", str(uuid.uuid4()), idempotency_key="crm-booking-1"))[
        "outcome"
    ] == "duplicate"

    ledger = (await client.get(f"{url}/entries", headers=service_headers)).json()
    assert sum(e["amount"] for e in ledger["items"]) == 39
    assert (await client.get(url, headers=service_headers)).json()["remaining"] == 39


async def test_purchases_add_tickets_and_exchanges_spend_them(
    client, staff, sign_in, manager, service_headers, delta_basic, outbox
):
    url = f"/v1/agreements/{delta_basic}/quota"
    response = await client.post(
        f"{url}/purchases", json={"amount": 5, "note": "PO 2026-114"}, headers=manager
    )
    assert response.status_code == 201, response.text
    purchase = response.json()
    assert (purchase["kind"], purchase["amount"], purchase["note"], purchase["created_by"]) == (
        "purchase",
        5,
        "PO 2026-114",
        "manager@example.com",
    )
    assert [e["amount"] for e in await outbox("quota.purchased")] == [5]

    response = await client.post(
        f"{url}/exchanges", json={"amount": 46, "service": "on-site day"}, headers=manager
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert (error["code"], error["details"]) == ("QUOTA_EXHAUSTED", {"remaining": 45})

    response = await client.post(
        f"{url}/exchanges", json={"amount": 10, "service": "on-site day"}, headers=manager
    )
    assert response.status_code == 201, response.text
    assert (response.json()["kind"], response.json()["amount"], response.json()["note"]) == (
        "exchange",
        -10,
        "on-site day",
    )
    assert await outbox("quota.exchanged") == [
        {
            "agreement_id": str(delta_basic),
            "customer_id": (await outbox("quota.purchased"))[0]["customer_id"],
            "amount": 10,
            "service": "on-site day",
        }
    ]
    summary = (await client.get(url, headers=manager)).json()
    assert (summary["granted"], summary["consumed"], summary["remaining"]) == (45, 0, 35)

    for path, body in [
        ("purchases", {"amount": 0}),
        ("purchases", {"amount": "many"}),
        ("exchanges", {"amount": 1}),
        ("exchanges", {"amount": -1, "service": "x"}),
    ]:
        response = await client.post(f"{url}/{path}", json=body, headers=manager)
        assert response.status_code == 422, (path, body)
    agent = await sign_in(staff["AGENT"])
    for headers in (agent, service_headers):
        response = await client.post(f"{url}/purchases", json={"amount": 1}, headers=headers)
        assert response.status_code == 403


async def test_a_used_up_billable_quota_books_extra_billable_tickets(
    client, manager, service_headers, delta_basic, demo_ids, session, outbox
):
    url = f"/v1/agreements/{delta_basic}/quota"
    await client.post(
        f"{url}/exchanges", json={"amount": 40, "service": "training"}, headers=manager
    )
    ticket = str(uuid.uuid4())
    response = await client.post(
        f"{url}/consume", json={"ticket_id": ticket}, headers=service_headers
    )
    assert response.status_code == 200, response.text
    booked = response.json()
    assert (booked["outcome"], booked["remaining"], booked["entry_id"]) == ("billable", 0, None)

    delta = str(demo_ids.customers["Delta Secure"])
    items = (
        await client.get("/v1/billable-items", params={"customer_id": delta}, headers=manager)
    ).json()["items"]
    assert [
        (i["id"], i["kind"], i["quantity"], i["unit"], i["ticket_id"], i["agreement_id"])
        for i in items
    ] == [(booked["billable_item_id"], "extra_ticket", "1.00", "ticket", ticket, str(delta_basic))]
    (exceeded,) = await outbox("quota.exceeded")
    assert (exceeded["ticket_id"], exceeded["billable_item_id"]) == (
        ticket,
        booked["billable_item_id"],
    )

    again = (
        await client.post(f"{url}/consume", json={"ticket_id": ticket}, headers=service_headers)
    ).json()
    assert (again["outcome"], again["billable_item_id"]) == (
        "duplicate",
        booked["billable_item_id"],
    )
    count = await session.scalar(
        select(func.count()).select_from(BillableItem).where(BillableItem.ticket_id == ticket)
    )
    assert count == 1
    assert (await client.get(url, headers=manager)).json()["remaining"] == 0


async def test_a_used_up_refusing_quota_refuses(
    client, manager, service_headers, new_plan, demo_ids, session
):
    plan = await new_plan(client, manager, yearly=1, when_exhausted="refuse")
    agreement = (
        await client.post(
            "/v1/agreements",
            json={
                "customer_id": str(demo_ids.customers["Cobalt Logistics"]),
                "plan_id": plan["id"],
                "commencement": "2026-01-01",
                "license_price": "500",
                "product_ids": [str(demo_ids.product)],
            },
            headers=manager,
        )
    ).json()
    url = f"/v1/agreements/{agreement['id']}/quota/consume"
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    response = await client.post(url, json={"ticket_id": first}, headers=service_headers)
    assert response.json()["outcome"] == "consumed"
    response = await client.post(url, json={"ticket_id": second}, headers=service_headers)
    assert response.status_code == 409
    error = response.json()["error"]
    assert (error["code"], error["details"]) == (
        "QUOTA_EXHAUSTED",
        {"agreement_id": agreement["id"]},
    )
    assert await _entries(session, agreement["id"], ticket_id=uuid.UUID(second)) == []
    # A repeat of a booking that was made is still recognized, quota or not.
    response = await client.post(url, json={"ticket_id": first}, headers=service_headers)
    assert (response.status_code, response.json()["outcome"]) == (200, "duplicate")
    assert sum(amount for _, amount in await _entries(session, agreement["id"])) == 0


async def test_plans_without_quota_unknown_agreements_and_who_may_book(
    client, sign_in, manager, service_headers, demo_ids, delta_basic
):
    acme = demo_ids.agreements[("Acme Water", "infocare")]
    summary = (await client.get(f"/v1/agreements/{acme}/quota", headers=manager)).json()
    assert (summary["yearly"], summary["granted"], summary["remaining"]) == (None, 0, 0)
    for path, body in [
        ("consume", {"ticket_id": str(uuid.uuid4())}),
        ("purchases", {"amount": 1}),
        ("exchanges", {"amount": 1, "service": "x"}),
    ]:
        response = await client.post(
            f"/v1/agreements/{acme}/quota/{path}", json=body, headers=manager
        )
        assert response.status_code == 409, path
        assert response.json()["error"]["code"] == "PLAN_HAS_NO_QUOTA"

    unknown = uuid.uuid4()
    for method, path, body in [
        ("GET", "quota", None),
        ("GET", "quota/entries", None),
        ("POST", "quota/consume", {"ticket_id": str(uuid.uuid4())}),
        ("POST", "quota/reversal", {"ticket_id": str(uuid.uuid4())}),
        ("POST", "quota/purchases", {"amount": 1}),
        ("POST", "quota/exchanges", {"amount": 1, "service": "x"}),
    ]:
        response = await client.request(
            method, f"/v1/agreements/{unknown}/{path}", json=body, headers=manager
        )
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "AGREEMENT_NOT_FOUND"

    response = await client.post(
        f"/v1/agreements/{delta_basic}/quota/consume",
        json={"ticket_id": "not-a-ticket"},
        headers=service_headers,
    )
    assert response.status_code == 422
    dan = await sign_in("dan@delta.example")
    for path in ("consume", "reversal"):
        response = await client.post(
            f"/v1/agreements/{delta_basic}/quota/{path}",
            json={"ticket_id": str(uuid.uuid4())},
            headers=dan,
        )
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "ROLE_FORBIDDEN"


async def test_concurrent_consumption_takes_exactly_what_is_left(
    committed_app, new_plan, contracts_settings
):
    """Twelve tickets resolved at once against a quota of five: five are booked, seven are
    refused, and the ledger never goes below zero. Needs real commits, so it runs on a
    database of its own."""
    from contracts.seed import seed_staff

    async with committed_app.state.database.sessionmaker() as session, session.begin():
        await seed_staff(session)
    async with asgi_client(committed_app) as client:
        manager = bearer(await password_token(client, "manager@example.com"))
        client_id, secret = next(iter(contracts_settings.service_clients.items()))
        service = bearer(
            (
                await client.post(
                    "/auth/token",
                    data={
                        "grant_type": "client_credentials",
                        "client_id": client_id,
                        "client_secret": secret,
                    },
                )
            ).json()["access_token"]
        )
        product = (
            await client.post(
                "/v1/products",
                json={"code": f"race-{uuid.uuid4().hex[:8]}", "name": "Race"},
                headers=manager,
            )
        ).json()
        customer = (
            await client.post(
                "/v1/customers",
                json={"name": "Racing Co", "region": "EMEA", "timezone": "Europe/Paris"},
                headers=manager,
            )
        ).json()
        plan = await new_plan(client, manager, yearly=5, when_exhausted="refuse")
        response = await client.post(
            "/v1/agreements",
            json={
                "customer_id": customer["id"],
                "plan_id": plan["id"],
                "commencement": "2026-01-01",
                "license_price": "1000",
                "product_ids": [product["id"]],
            },
            headers=manager,
        )
        assert response.status_code == 201, response.text
        agreement = response.json()["id"]

        responses = await asyncio.gather(
            *(
                client.post(
                    f"/v1/agreements/{agreement}/quota/consume",
                    json={"ticket_id": str(uuid.uuid4())},
                    headers=service,
                )
                for _ in range(12)
            )
        )
        outcomes = sorted(
            (
                r.status_code,
                r.json()["outcome"] if r.status_code == 200 else r.json()["error"]["code"],
            )
            for r in responses
        )
        assert outcomes == [(200, "consumed")] * 5 + [(409, "QUOTA_EXHAUSTED")] * 7
        assert sorted(r.json()["remaining"] for r in responses if r.status_code == 200) == [
            0,
            1,
            2,
            3,
            4,
        ]
        summary = (await client.get(f"/v1/agreements/{agreement}/quota", headers=manager)).json()
        assert (summary["granted"], summary["consumed"], summary["remaining"]) == (5, 5, 0)

    async with committed_app.state.database.sessionmaker() as session:
        ledger = await session.scalar(
            select(func.sum(QuotaEntry.amount)).where(
                QuotaEntry.agreement_id == uuid.UUID(agreement)
            )
        )
        consumed = await session.scalar(
            select(func.count())
            .select_from(QuotaEntry)
            .where(QuotaEntry.agreement_id == uuid.UUID(agreement), QuotaEntry.kind == "consume")
        )
    assert (ledger, consumed) == (0, 5)
