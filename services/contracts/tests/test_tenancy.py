"""A customer's contact only ever sees its own customer: customers, contacts, agreements,
quota, license keys, billable items and entitlement answers. Another customer's records
do not exist for it (404), lists leave them out, and it changes no contract (403)."""

from __future__ import annotations

import uuid

import pytest

from careplane_shared.testing import bearer, password_token

pytestmark = pytest.mark.usefixtures("quick_demo_password")


@pytest.fixture
async def world(client, staff, sign_in, demo_ids):
    """Delta Secure (dan, a customer administrator) against Acme Water and the others,
    with a license key and a billable item each for Delta and Acme."""
    agent = await sign_in(staff["AGENT"])
    keys, items = {}, {}
    for name in ("Delta Secure", "Acme Water"):
        customer = str(demo_ids.customers[name])
        response = await client.post(
            "/v1/license-keys",
            json={"customer_id": customer, "product_id": str(demo_ids.product), "major_version": 3},
            headers=agent,
        )
        keys[name] = response.json()
        response = await client.post(
            "/v1/billable-items",
            json={
                "customer_id": customer,
                "kind": "service_request",
                "occurred_at": "2026-04-01T10:00:00Z",
            },
            headers=agent,
        )
        items[name] = response.json()
    return keys, items


async def test_a_contact_sees_only_its_own_customer_and_its_contacts(client, demo_ids):
    # Signed in for real: the customer comes from the contact's record, not from the caller.
    dan = bearer(await password_token(client, "dan@delta.example"))
    delta, acme = demo_ids.customers["Delta Secure"], demo_ids.customers["Acme Water"]

    listed = (await client.get("/v1/customers", headers=dan)).json()
    assert (listed["total"], [c["id"] for c in listed["items"]]) == (1, [str(delta)])
    assert (await client.get(f"/v1/customers/{delta}", headers=dan)).status_code == 200
    response = await client.get(f"/v1/customers/{acme}", headers=dan)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "CUSTOMER_NOT_FOUND"

    own = (await client.get(f"/v1/customers/{delta}/contacts", headers=dan)).json()
    assert [c["email"] for c in own["items"]] == ["dan@delta.example"]
    response = await client.get(f"/v1/customers/{acme}/contacts", headers=dan)
    assert response.status_code == 404
    ana = demo_ids.contacts["ana@acme-water.example"]
    for method, body in [("GET", None), ("PATCH", {"name": "Hacked"})]:
        response = await client.request(method, f"/v1/contacts/{ana}", json=body, headers=dan)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "CONTACT_NOT_FOUND"
    response = await client.post(
        f"/v1/customers/{acme}/contacts",
        json={"email": "mole@delta.example", "name": "Mole"},
        headers=dan,
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "CUSTOMER_NOT_FOUND"


async def test_a_plain_contact_cannot_manage_its_colleagues(client, sign_in, demo_ids):
    ben = await sign_in("ben@borealis.example")
    bo = demo_ids.contacts["bo@borealis.example"]
    borealis = demo_ids.customers["Borealis Health"]
    assert (await client.get(f"/v1/contacts/{bo}", headers=ben)).status_code == 200
    # It sees them, so they exist for it: what it lacks is the administrator's role.
    response = await client.patch(f"/v1/contacts/{bo}", json={"is_admin": False}, headers=ben)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "ROLE_FORBIDDEN"
    response = await client.post(
        f"/v1/customers/{borealis}/contacts",
        json={"email": "new@borealis.example", "name": "New"},
        headers=ben,
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "ROLE_FORBIDDEN"


async def test_agreements_and_quota_of_other_customers_do_not_exist(client, sign_in, demo_ids):
    dan = await sign_in("dan@delta.example")
    delta = str(demo_ids.customers["Delta Secure"])
    own = {
        str(demo_ids.agreements[("Delta Secure", "infotecs-basic")]),
        str(demo_ids.agreements[("Delta Secure", "infotecs-premium")]),
    }
    listed = (await client.get("/v1/agreements", headers=dan)).json()
    assert (listed["total"], {a["id"] for a in listed["items"]}) == (2, own)
    assert {a["customer_id"] for a in listed["items"]} == {delta}
    for params in (
        {"customer_id": str(demo_ids.customers["Echo Mining"])},
        {"plan_id": str(demo_ids.plans["infocare"])},
    ):
        other = (await client.get("/v1/agreements", params=params, headers=dan)).json()
        assert (other["total"], other["items"]) == (0, [])

    echo = demo_ids.agreements[("Echo Mining", "infotecs-basic")]
    for path in ("", "/quota", "/quota/entries"):
        response = await client.get(f"/v1/agreements/{echo}{path}", headers=dan)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "AGREEMENT_NOT_FOUND"
    basic = demo_ids.agreements[("Delta Secure", "infotecs-basic")]
    assert (await client.get(f"/v1/agreements/{basic}/quota", headers=dan)).status_code == 200
    entries = await client.get(f"/v1/agreements/{basic}/quota/entries", headers=dan)
    assert entries.json()["total"] == 1

    # A contact changes no contract, not even its own customer's.
    for path, body in [
        (
            "/v1/agreements",
            {
                "customer_id": delta,
                "plan_id": str(demo_ids.plans["infocare"]),
                "commencement": "2026-01-01",
                "license_price": "1",
                "product_ids": [str(demo_ids.product)],
            },
        ),
        (f"/v1/agreements/{basic}/renew", None),
        (f"/v1/agreements/{basic}/status", {"status": "cancelled", "reason": "x"}),
        (f"/v1/agreements/{basic}/quota/consume", {"ticket_id": str(uuid.uuid4())}),
        (f"/v1/agreements/{basic}/quota/reversal", {"ticket_id": str(uuid.uuid4())}),
        (f"/v1/agreements/{basic}/quota/purchases", {"amount": 100}),
        (f"/v1/agreements/{basic}/quota/exchanges", {"amount": 1, "service": "x"}),
    ]:
        response = await client.post(path, json=body, headers=dan)
        assert response.status_code == 403, path
        assert response.json()["error"]["code"] == "ROLE_FORBIDDEN"


async def test_license_keys_of_other_customers_do_not_exist(client, sign_in, demo_ids, world):
    keys, _ = world
    dan = await sign_in("dan@delta.example")
    listed = (await client.get("/v1/license-keys", headers=dan)).json()
    assert [k["id"] for k in listed["items"]] == [keys["Delta Secure"]["id"]]
    acme_customer = str(demo_ids.customers["Acme Water"])
    other = (
        await client.get("/v1/license-keys", params={"customer_id": acme_customer}, headers=dan)
    ).json()
    assert other["items"] == []

    acme_key = keys["Acme Water"]
    response = await client.get(f"/v1/license-keys/{acme_key['id']}", headers=dan)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "LICENSE_KEY_NOT_FOUND"

    async def validate(key):
        response = await client.post(
            "/v1/license-keys/validate",
            json={"key": key, "product_id": str(demo_ids.product), "version": "3.1"},
            headers=dan,
        )
        assert response.status_code == 200
        return response.json()

    # Another customer's perfectly valid key: not even its details are told.
    assert await validate(acme_key["key"]) == {
        "valid": False,
        "code": "NOT_FOUND",
        "license_id": None,
        "customer_id": None,
        "product_id": None,
        "major_version": None,
        "expires_at": None,
    }
    assert (await validate(keys["Delta Secure"]["key"]))["code"] == "VALID"

    response = await client.post(
        "/v1/license-keys",
        json={
            "customer_id": str(demo_ids.customers["Delta Secure"]),
            "product_id": str(demo_ids.product),
            "major_version": 3,
        },
        headers=dan,
    )
    assert response.status_code == 403
    own = keys["Delta Secure"]["id"]
    for action in ("suspend", "resume", "revoke", "reissue"):
        response = await client.post(
            f"/v1/license-keys/{own}/{action}", json={"reason": "x"}, headers=dan
        )
        assert response.status_code == 403, action


async def test_billable_items_of_other_customers_are_left_out(client, sign_in, demo_ids, world):
    _, items = world
    dan = await sign_in("dan@delta.example")
    listed = (await client.get("/v1/billable-items", headers=dan)).json()
    assert (listed["total"], [i["id"] for i in listed["items"]]) == (
        1,
        [items["Delta Secure"]["id"]],
    )
    other = (
        await client.get(
            "/v1/billable-items",
            params={"customer_id": str(demo_ids.customers["Acme Water"])},
            headers=dan,
        )
    ).json()
    assert (other["total"], other["items"]) == (0, [])
    response = await client.post(
        "/v1/billable-items",
        json={
            "customer_id": str(demo_ids.customers["Delta Secure"]),
            "kind": "service_request",
            "occurred_at": "2026-04-01T10:00:00Z",
        },
        headers=dan,
    )
    assert response.status_code == 403


async def test_entitlement_checks_stay_within_the_customer(client, sign_in, demo_ids):
    async def check(headers, email):
        return await client.post(
            "/v1/entitlements/check",
            json={
                "contact_id": str(demo_ids.contacts[email]),
                "product_id": str(demo_ids.product),
                "version": "3.1",
            },
            headers=headers,
        )

    dan = await sign_in("dan@delta.example")
    assert (await check(dan, "dan@delta.example")).json()["entitled"] is True
    response = await check(dan, "ana@acme-water.example")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "CONTACT_NOT_FOUND"

    # A plain contact checks itself only; its administrator checks any of its colleagues.
    ben, bo = await sign_in("ben@borealis.example"), await sign_in("bo@borealis.example")
    assert (await check(ben, "ben@borealis.example")).status_code == 200
    assert (await check(ben, "bo@borealis.example")).status_code == 404
    answer = (await check(bo, "ben@borealis.example")).json()
    assert (answer["entitled"], answer["reasons"]) == (False, ["CONTACT_NOT_ADMIN"])
    assert (await check(bo, "dan@delta.example")).status_code == 404
