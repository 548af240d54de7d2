"""Agreements: creation and pricing, prerequisites, renewals with rollover, month-end terms,
status transitions and listing, through the real app on real PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from contracts.models import QuotaEntry

pytestmark = pytest.mark.usefixtures("quick_demo_password")


def _today():
    return datetime.now(UTC).date()


@pytest.fixture
async def manager(staff, sign_in):
    return await sign_in(staff["MANAGER"])


@pytest.fixture
def new_customer(client, manager):
    async def create(name="Kestrel Energy"):
        response = await client.post(
            "/v1/customers",
            json={"name": name, "region": "EMEA", "timezone": "Europe/Berlin"},
            headers=manager,
        )
        assert response.status_code == 201, response.text
        return response.json()["id"]

    return create


@pytest.fixture
def agree(client, manager, demo_ids):
    """``await agree(customer_id, plan_code, commencement, ...)`` → the response."""

    async def create(customer_id, plan, commencement, **fields):
        body = {
            "customer_id": str(customer_id),
            "plan_id": str(demo_ids.plans.get(plan, plan)),
            "commencement": commencement.isoformat()
            if hasattr(commencement, "isoformat")
            else commencement,
            "license_price": "10000",
            "product_ids": [str(demo_ids.product)],
            **fields,
        }
        return await client.post("/v1/agreements", json=body, headers=manager)

    return create


async def _ledger(session, agreement_id):
    rows = await session.execute(
        select(QuotaEntry.kind, QuotaEntry.amount)
        .where(QuotaEntry.agreement_id == uuid.UUID(str(agreement_id)))
        .order_by(QuotaEntry.created_at, QuotaEntry.id)
    )
    return sorted((kind, amount) for kind, amount in rows)


async def test_an_agreement_is_priced_by_its_plan_and_granted_its_quota(
    client, manager, new_customer, agree, demo_ids, session, outbox
):
    customer = await new_customer()
    commencement = _today() - timedelta(days=30)
    response = await agree(customer, "infotecs-basic", commencement)
    assert response.status_code == 201, response.text
    agreement = response.json()
    assert agreement["customer_id"] == customer
    assert agreement["plan_id"] == str(demo_ids.plans["infotecs-basic"])
    assert agreement["plan_name"] == "Infotecs Basic"
    assert (agreement["year"], agreement["term_months"]) == (1, 12)
    assert agreement["anchor_date"] == agreement["starts_on"] == commencement.isoformat()
    assert (agreement["status"], agreement["stored_status"]) == ("active", "active")
    assert (agreement["license_price"], agreement["currency"]) == ("10000.00", "EUR")
    # Infotecs: 12% of the license price in year 1; an upgrade costs 30%.
    assert (agreement["price"], agreement["upgrade_price"]) == ("1200.00", "3000.00")
    assert agreement["product_ids"] == [str(demo_ids.product)]
    assert agreement["previous_agreement_id"] is None and agreement["renewed_by_id"] is None
    assert agreement["quota_remaining"] == 40
    assert await _ledger(session, agreement["id"]) == [("grant", 40)]
    (event,) = await outbox("agreement.created")
    assert (event["agreement_id"], event["customer_id"], event["price"], event["year"]) == (
        agreement["id"],
        customer,
        "1200.00",
        1,
    )

    read = await client.get(f"/v1/agreements/{agreement['id']}", headers=manager)
    assert read.status_code == 200
    assert read.json() == agreement

    # A plan without pricing rule or quota: no price, no quota.
    response = await agree(customer, "infocare", commencement, currency="USD")
    assert response.status_code == 201
    infocare = response.json()
    assert (infocare["price"], infocare["upgrade_price"], infocare["quota_remaining"]) == (
        None,
        None,
        None,
    )
    assert infocare["currency"] == "USD"


async def test_renewal_prices_later_years_at_20_percent_and_rolls_unused_tickets_over(
    client, manager, new_customer, agree, session, outbox
):
    customer = await new_customer()
    first = (await agree(customer, "infotecs-basic", "2025-01-31")).json()
    assert (first["starts_on"], first["ends_on"]) == ("2025-01-31", "2026-01-30")
    # Past its end but never closed: stored active, effectively expired.
    assert (first["status"], first["stored_status"]) == ("expired", "active")
    for _ in range(3):
        response = await client.post(
            f"/v1/agreements/{first['id']}/quota/consume",
            json={"ticket_id": str(uuid.uuid4())},
            headers=manager,
        )
        assert response.json()["outcome"] == "consumed"

    response = await client.post(f"/v1/agreements/{first['id']}/renew", headers=manager)
    assert response.status_code == 201, response.text
    second = response.json()
    assert (second["year"], second["starts_on"], second["ends_on"]) == (
        2,
        "2026-01-31",
        "2027-01-30",
    )
    assert second["anchor_date"] == "2025-01-31"
    assert second["previous_agreement_id"] == first["id"]
    assert (second["price"], second["license_price"]) == ("2000.00", "10000.00")
    assert second["status"] == "active"
    assert second["quota_remaining"] == 40 + 37
    assert second["product_ids"] == first["product_ids"]

    # The unused 37 tickets left year 1 and arrived in year 2, both in the ledger.
    assert await _ledger(session, first["id"]) == [
        ("consume", -1),
        ("consume", -1),
        ("consume", -1),
        ("grant", 40),
        ("rollover_out", -37),
    ]
    assert await _ledger(session, second["id"]) == [("grant", 40), ("rollover_in", 37)]
    year_one = (await client.get(f"/v1/agreements/{first['id']}", headers=manager)).json()
    assert (year_one["renewed_by_id"], year_one["quota_remaining"]) == (second["id"], 0)
    quota = (await client.get(f"/v1/agreements/{second['id']}/quota", headers=manager)).json()
    assert (quota["granted"], quota["consumed"], quota["remaining"]) == (77, 0, 77)
    (event,) = await outbox("agreement.renewed")
    assert (event["agreement_id"], event["previous_agreement_id"], event["rolled_over"]) == (
        second["id"],
        first["id"],
        37,
    )

    again = await client.post(f"/v1/agreements/{first['id']}/renew", headers=manager)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "AGREEMENT_ALREADY_RENEWED"
    assert again.json()["error"]["details"] == {"agreement_id": second["id"]}

    third = (await client.post(f"/v1/agreements/{second['id']}/renew", headers=manager)).json()
    assert (third["year"], third["starts_on"], third["ends_on"], third["price"]) == (
        3,
        "2027-01-31",
        "2028-01-30",
        "2000.00",
    )
    assert third["quota_remaining"] == 40 + 77


async def test_renewals_anchor_to_the_first_commencement_across_month_ends(
    client, manager, new_customer, agree
):
    customer = await new_customer()

    async def chain(commencement, term_months, years):
        agreement = (
            await agree(customer, "infocare", commencement, term_months=term_months)
        ).json()
        terms = [(agreement["starts_on"], agreement["ends_on"])]
        for _ in range(years - 1):
            response = await client.post(f"/v1/agreements/{agreement['id']}/renew", headers=manager)
            assert response.status_code == 201, response.text
            agreement = response.json()
            terms.append((agreement["starts_on"], agreement["ends_on"]))
        return terms

    # Jan 31 -> Feb 28 -> Mar 31: the month end is kept, not drifted to the 28th.
    assert await chain("2025-01-31", 1, 4) == [
        ("2025-01-31", "2025-02-27"),
        ("2025-02-28", "2025-03-30"),
        ("2025-03-31", "2025-04-29"),
        ("2025-04-30", "2025-05-30"),
    ]
    # A leap day commencement comes back in the next leap year.
    assert await chain("2024-02-29", 12, 5) == [
        ("2024-02-29", "2025-02-27"),
        ("2025-02-28", "2026-02-27"),
        ("2026-02-28", "2027-02-27"),
        ("2027-02-28", "2028-02-28"),
        ("2028-02-29", "2029-02-27"),
    ]


async def test_premium_needs_an_active_basic_agreement(
    client, manager, new_customer, agree, demo_ids
):
    customer = await new_customer()
    start = _today() - timedelta(days=10)
    response = await agree(customer, "infotecs-premium", start)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "PLAN_PREREQUISITE_MISSING"
    assert error["details"] == {"prerequisite_plan_id": str(demo_ids.plans["infotecs-basic"])}

    # A Basic that only starts later does not cover the Premium's start.
    later = (await agree(customer, "infotecs-basic", start + timedelta(days=30))).json()
    response = await agree(customer, "infotecs-premium", start)
    assert response.json()["error"]["code"] == "PLAN_PREREQUISITE_MISSING"
    # Nor does a cancelled one.
    await client.post(
        f"/v1/agreements/{later['id']}/status",
        json={"status": "cancelled", "reason": "entered by mistake"},
        headers=manager,
    )

    basic = (await agree(customer, "infotecs-basic", start)).json()
    response = await agree(customer, "infotecs-premium", start)
    assert response.status_code == 201, response.text
    premium = response.json()
    assert premium["plan_name"] == "Infotecs Premium"

    # Year 2 of Premium needs year 2 of Basic: renew that first.
    response = await client.post(f"/v1/agreements/{premium['id']}/renew", headers=manager)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "PLAN_PREREQUISITE_MISSING"
    assert (
        await client.post(f"/v1/agreements/{basic['id']}/renew", headers=manager)
    ).status_code == 201
    response = await client.post(f"/v1/agreements/{premium['id']}/renew", headers=manager)
    assert response.status_code == 201


async def test_status_transitions(client, manager, new_customer, agree, demo_ids, outbox):
    customer = await new_customer()
    agreement = (await agree(customer, "infocare", _today() - timedelta(days=5))).json()
    url = f"/v1/agreements/{agreement['id']}"

    async def change(status, reason="as agreed"):
        return await client.post(
            f"{url}/status", json={"status": status, "reason": reason}, headers=manager
        )

    response = await change("suspended", "invoice overdue")
    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["stored_status"]) == (
        "suspended",
        "suspended",
    )
    (event,) = await outbox("agreement.status_changed")
    assert (event["status"], event["previous_status"], event["reason"]) == (
        "suspended",
        "active",
        "invoice overdue",
    )
    response = await client.post(f"{url}/renew", headers=manager)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "AGREEMENT_NOT_RENEWABLE"

    assert (await change("active")).json()["status"] == "active"
    assert (await change("cancelled")).json()["status"] == "cancelled"
    for target in ("active", "suspended", "expired"):
        response = await change(target)
        assert response.status_code == 409, target
        error = response.json()["error"]
        assert error["code"] == "AGREEMENT_STATUS_TRANSITION"
        assert error["details"] == {"from": "cancelled", "to": target}
    # Asking for the status it has is no change and announces nothing.
    assert (await change("cancelled")).status_code == 200
    assert len(await outbox("agreement.status_changed")) == 3

    echo = demo_ids.agreements[("Echo Mining", "infotecs-basic")]
    response = await client.post(
        f"/v1/agreements/{echo}/status",
        json={"status": "active", "reason": "back"},
        headers=manager,
    )
    assert response.status_code == 409
    assert response.json()["error"]["details"] == {"from": "expired", "to": "active"}

    for body in ({"status": "active"}, {"status": "paused", "reason": "x"}):
        response = await client.post(f"{url}/status", json=body, headers=manager)
        assert response.status_code == 422


async def test_bad_input_and_unknown_ids(
    client, staff, sign_in, manager, new_customer, agree, demo_ids
):
    customer = await new_customer()
    today = _today()
    response = await agree(uuid.uuid4(), "infocare", today)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "CUSTOMER_NOT_FOUND"
    response = await agree(customer, uuid.uuid4(), today)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "PLAN_NOT_FOUND"
    stray = str(uuid.uuid4())
    response = await agree(customer, "infocare", today, product_ids=[str(demo_ids.product), stray])
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "PRODUCT_NOT_FOUND"
    assert response.json()["error"]["details"] == {"product_ids": [stray]}
    for fields in (
        {"product_ids": []},
        {"license_price": "-1"},
        {"term_months": 0},
        {"currency": "eur"},
        {"commencement": "2025-02-30"},
        {"discount": 10},
    ):
        response = await agree(customer, "infocare", **{"commencement": today, **fields})
        assert response.status_code == 422, fields
        assert response.json()["error"]["code"] == "VALIDATION_ERROR"

    await client.patch(
        f"/v1/plans/{demo_ids.plans['invantive-subscription']}",
        json={"active": False},
        headers=manager,
    )
    response = await agree(customer, "invantive-subscription", today)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "PLAN_INACTIVE"

    unknown = uuid.uuid4()
    for method, path, body in [
        ("GET", f"/v1/agreements/{unknown}", None),
        ("POST", f"/v1/agreements/{unknown}/renew", None),
        ("POST", f"/v1/agreements/{unknown}/status", {"status": "active", "reason": "x"}),
    ]:
        response = await client.request(method, path, json=body, headers=manager)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "AGREEMENT_NOT_FOUND"

    agent = await sign_in(staff["AGENT"])
    response = await agree(customer, "infocare", today)
    assert response.status_code == 201
    for method, path, body in [
        ("POST", "/v1/agreements", {}),
        ("POST", f"/v1/agreements/{response.json()['id']}/renew", None),
        (
            "POST",
            f"/v1/agreements/{response.json()['id']}/status",
            {"status": "cancelled", "reason": "x"},
        ),
    ]:
        denied = await client.request(method, path, json=body, headers=agent)
        assert denied.status_code == 403, path
        assert denied.json()["error"]["code"] == "ROLE_FORBIDDEN"


async def test_agreements_are_listed_with_filters(client, staff, sign_in, demo_ids):
    agent = await sign_in(staff["AGENT"])

    async def listed(**params):
        response = await client.get("/v1/agreements", params=params, headers=agent)
        assert response.status_code == 200, response.text
        return response.json()

    everything = await listed()
    assert everything["total"] == 7
    assert {a["id"] for a in everything["items"]} == {str(a) for a in demo_ids.agreements.values()}
    delta = await listed(customer_id=str(demo_ids.customers["Delta Secure"]))
    assert sorted(a["plan_name"] for a in delta["items"]) == ["Infotecs Basic", "Infotecs Premium"]
    basic = await listed(plan_id=str(demo_ids.plans["infotecs-basic"]))
    assert {a["customer_id"] for a in basic["items"]} == {
        str(demo_ids.customers["Delta Secure"]),
        str(demo_ids.customers["Echo Mining"]),
    }
    expired = await listed(status="expired")
    assert [a["id"] for a in expired["items"]] == [
        str(demo_ids.agreements[("Echo Mining", "infotecs-basic")])
    ]
    assert (await listed(status="active"))["total"] == 6
    page = await listed(limit=2, offset=2)
    assert (page["total"], len(page["items"]), page["limit"], page["offset"]) == (7, 2, 2, 2)
    assert (
        await client.get("/v1/agreements", params={"status": "paused"}, headers=agent)
    ).status_code == 422
