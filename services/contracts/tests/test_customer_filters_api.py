"""List endpoints filtered by several customers at once (``?customer_id=a&customer_id=b``,
``/v1/customers?id=a&id=b``): what the gateway's DataLoaders batch on. Over the demo data."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from careplane_shared.testing import bearer, password_token
from contracts.models import Customer, Product


@pytest.fixture
async def demo_ids(session, demo):
    customers = {c.name: c.id for c in (await session.scalars(select(Customer))).all()}
    product = await session.scalar(select(Product).where(Product.code == "tideway"))
    return customers, product.id


@pytest.fixture
async def admin(client, staff):
    return bearer(await password_token(client, staff["ADMIN"]))


def _params(name: str, ids: list[uuid.UUID]) -> list[tuple[str, str]]:
    return [(name, str(i)) for i in ids]


async def test_agreements_of_several_customers_in_one_request(client, admin, demo_ids):
    customers, _ = demo_ids
    wanted = [customers["Delta Secure"], customers["Acme Water"]]

    both = await client.get("/v1/agreements", params=_params("customer_id", wanted), headers=admin)
    one = await client.get(
        "/v1/agreements", params={"customer_id": str(customers["Delta Secure"])}, headers=admin
    )

    assert both.status_code == 200, both.text
    page = both.json()
    assert page["total"] == 3  # Delta: Basic and Premium; Acme: InfoCare
    assert sorted(a["plan_name"] for a in page["items"]) == [
        "InfoCare",
        "Infotecs Basic",
        "Infotecs Premium",
    ]
    assert {a["customer_id"] for a in page["items"]} == {str(c) for c in wanted}
    assert one.status_code == 200, one.text
    assert one.json()["total"] == 2


async def test_a_contact_filtering_by_other_customers_sees_only_its_own(client, demo_ids):
    customers, _ = demo_ids
    ana = bearer(await password_token(client, "ana@acme-water.example"))
    asked = [customers["Delta Secure"], customers["Acme Water"], customers["Cobalt Logistics"]]

    agreements = await client.get(
        "/v1/agreements", params=_params("customer_id", asked), headers=ana
    )
    listed = await client.get("/v1/customers", params=_params("id", asked), headers=ana)
    contacts = await client.get("/v1/contacts", params=_params("customer_id", asked), headers=ana)
    everything = await client.get("/v1/contacts", headers=ana)

    assert {a["customer_id"] for a in agreements.json()["items"]} == {str(customers["Acme Water"])}
    assert [c["name"] for c in listed.json()["items"]] == ["Acme Water"]
    assert [c["email"] for c in contacts.json()["items"]] == ["ana@acme-water.example"]
    assert [c["email"] for c in everything.json()["items"]] == ["ana@acme-water.example"]


async def test_customers_by_ids(client, admin, demo_ids):
    customers, _ = demo_ids
    wanted = [customers["Fjord Analytics"], customers["Borealis Health"]]

    response = await client.get("/v1/customers", params=_params("id", wanted), headers=admin)

    assert response.status_code == 200, response.text
    page = response.json()
    assert page["total"] == 2
    assert [c["name"] for c in page["items"]] == ["Borealis Health", "Fjord Analytics"]


async def test_contacts_of_several_customers(client, admin, demo_ids):
    customers, _ = demo_ids
    wanted = [customers["Borealis Health"], customers["Cobalt Logistics"]]

    response = await client.get(
        "/v1/contacts", params=_params("customer_id", wanted), headers=admin
    )
    paged = await client.get(
        "/v1/contacts", params=[*_params("customer_id", wanted), ("limit", "1")], headers=admin
    )

    assert response.status_code == 200, response.text
    page = response.json()
    assert page["total"] == 3
    assert sorted(c["email"] for c in page["items"]) == [
        "ben@borealis.example",
        "bo@borealis.example",
        "cora@cobalt.example",
    ]
    assert {c["customer_id"] for c in page["items"]} == {str(c) for c in wanted}
    assert paged.json()["total"] == 3
    assert len(paged.json()["items"]) == 1


async def test_license_keys_of_several_customers(client, admin, demo_ids):
    customers, product_id = demo_ids
    issued = {}
    for name in ("Acme Water", "Borealis Health", "Cobalt Logistics"):
        response = await client.post(
            "/v1/license-keys",
            json={
                "customer_id": str(customers[name]),
                "product_id": str(product_id),
                "major_version": 3,
            },
            headers=admin,
        )
        assert response.status_code == 201, response.text
        issued[name] = response.json()["id"]
    wanted = [customers["Acme Water"], customers["Cobalt Logistics"]]

    response = await client.get(
        "/v1/license-keys", params=_params("customer_id", wanted), headers=admin
    )

    assert response.status_code == 200, response.text
    assert sorted(k["id"] for k in response.json()["items"]) == sorted(
        [issued["Acme Water"], issued["Cobalt Logistics"]]
    )


@pytest.mark.parametrize("path", ["/v1/agreements", "/v1/license-keys", "/v1/contacts"])
async def test_bad_or_too_many_customer_ids_are_refused(client, admin, path):
    too_many = _params("customer_id", [uuid.uuid4() for _ in range(101)])

    not_an_id = await client.get(path, params={"customer_id": "nope"}, headers=admin)
    over_limit = await client.get(path, params=too_many, headers=admin)

    for response in (not_an_id, over_limit):
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "VALIDATION_ERROR"


async def test_contacts_by_address_in_any_case(client, admin, demo_ids):
    """What the mail intake asks: who wrote from this address."""
    found = await client.get(
        "/v1/contacts", params={"email": " Cora@Cobalt.Example"}, headers=admin
    )
    nobody = await client.get("/v1/contacts", params={"email": "x@nowhere.example"}, headers=admin)
    ana = bearer(await password_token(client, "ana@acme-water.example"))
    foreign = await client.get("/v1/contacts", params={"email": "cora@cobalt.example"}, headers=ana)

    assert found.status_code == 200, found.text
    assert [c["email"] for c in found.json()["items"]] == ["cora@cobalt.example"]
    assert found.json()["total"] == 1
    assert (nobody.json()["total"], nobody.json()["items"]) == (0, [])
    assert (foreign.json()["total"], foreign.json()["items"]) == (0, [])  # the tenant wall holds
