"""The entitlement check over the demo data: answers differ per contact as a real desk's would."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from careplane_shared.testing import bearer, password_token
from contracts.models import Contact, Product


@pytest.fixture
async def ids(session, demo):
    contacts = {c.email: c.id for c in (await session.scalars(select(Contact))).all()}
    product = await session.scalar(select(Product).where(Product.code == "tideway"))
    return contacts, product.id


@pytest.mark.parametrize(
    ("email", "version", "entitled", "reasons", "phase"),
    [
        ("ana@acme-water.example", "3.1", True, [], "MAINSTREAM"),
        ("ana@acme-water.example", "2.3", True, ["EXTENDED_SUPPORT_LIMITED"], "EXTENDED"),
        ("ana@acme-water.example", "1.4", False, ["VERSION_END_OF_LIFE"], "END_OF_LIFE"),
        ("ana@acme-water.example", "3.7", False, ["VERSION_UNKNOWN"], None),
        ("bo@borealis.example", "3.0", True, [], "MAINSTREAM"),
        ("ben@borealis.example", "3.0", False, ["CONTACT_NOT_ADMIN"], "MAINSTREAM"),
        ("cora@cobalt.example", "3.1.2", True, [], "MAINSTREAM"),
        ("dan@delta.example", "3.1", True, [], "MAINSTREAM"),
        ("eve@echo.example", "3.1", False, ["NO_ACTIVE_AGREEMENT"], "MAINSTREAM"),
        ("finn@fjord.example", "3.1", False, ["CUSTOMER_SUSPENDED"], "MAINSTREAM"),
    ],
)
async def test_demo_contacts_get_the_answers_a_desk_would_give(
    client, staff, ids, email, version, entitled, reasons, phase
):
    contacts, product_id = ids
    admin = bearer(await password_token(client, staff["ADMIN"]))
    response = await client.post(
        "/v1/entitlements/check",
        json={
            "contact_id": str(contacts[email]),
            "product_id": str(product_id),
            "version": version,
        },
        headers=admin,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["entitled"], body["reasons"], body["phase"]) == (entitled, reasons, phase)


async def test_premium_wins_over_basic_and_infocare_uses_the_customers_center(client, staff, ids):
    contacts, product_id = ids
    admin = bearer(await password_token(client, staff["ADMIN"]))
    body = (
        await client.post(
            "/v1/entitlements/check",
            json={
                "contact_id": str(contacts["dan@delta.example"]),
                "product_id": str(product_id),
                "version": "3",
            },
            headers=admin,
        )
    ).json()
    assert body["plan_code"] == "infotecs-premium"
    # Premium has no quota of its own: its cases count against the Basic agreement's 40.
    assert body["quota_remaining"] == 40

    body = (
        await client.post(
            "/v1/entitlements/check",
            json={
                "contact_id": str(contacts["ana@acme-water.example"]),
                "product_id": str(product_id),
                "version": "3.0",
            },
            headers=admin,
        )
    ).json()
    assert body["support_center"] == "broomfield"
    assert body["sla_policy"]["calendar"]["timezone"] == "America/Denver"
    assert body["sla_policy"]["calendar"]["use_customer_center"] is False
