"""Support management through GraphQL: the catalogue (products, releases, plans, support
centers) and changes to customers and contacts, against the real contracts service."""

from __future__ import annotations

from typing import Any

import httpx

from careplane_shared.testing import password_token
from careplane_shared.testing.graphql import data_of, graphql, only_error

from .conftest import ContractsDemo

SLA_POLICY: dict[str, Any] = {
    "calendar": {
        "timezone": "Europe/Amsterdam",
        "hours": {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
        "holiday_country": "NL",
    },
    "priorities": ["P1", "P2"],
    "default_priority": "P2",
    "targets": [{"metric": "FIRST_RESPONSE", "minutes": 240, "business_time": True}],
}


async def test_catalogue_and_plans_are_managed_through_graphql(
    gateway_serial_client: httpx.AsyncClient, contracts_demo: ContractsDemo
) -> None:
    manager = await password_token(gateway_serial_client, "manager@example.com")
    product = (
        await data_of(
            gateway_serial_client,
            manager,
            'mutation { createProduct(input: {code: "harbor", name: "Harbor"}) { id name } }',
        )
    )["createProduct"]
    release = await data_of(
        gateway_serial_client,
        manager,
        """mutation($product: ID!) {
             addMajorVersion(productId: $product, input: {major: 1, ga: "2024-01-01"}) { major }
             addRelease(productId: $product, major: 1, input: {version: "1.2"}) { version }
           }""",
        {"product": product["id"]},
    )
    assert release["addRelease"] == {"version": "1.2"}

    created = await data_of(
        gateway_serial_client,
        manager,
        """mutation($policy: JSON!) {
             createPlan(input: {code: "harbor-care", name: "Harbor Care", slaPolicy: $policy,
                                quota: {yearly: 12, rollover: false, when_exhausted: "refuse"}})
             { id name quota { yearly } }
           }""",
        {"policy": SLA_POLICY},
    )
    plan = created["createPlan"]
    assert plan["quota"] == {"yearly": 12}
    renamed = await data_of(
        gateway_serial_client,
        manager,
        'mutation($id: ID!) { updatePlan(planId: $id, input: {name: "Harbor Care+"}) { name } }',
        {"id": plan["id"]},
    )
    assert renamed["updatePlan"]["name"] == "Harbor Care+"

    # The contracts API validates the policy: a target for an unknown priority is refused.
    bad = {**SLA_POLICY, "targets": [{**SLA_POLICY["targets"][0], "priorities": ["P9"]}]}
    refused = await graphql(
        gateway_serial_client,
        manager,
        """mutation($policy: JSON!) {
             createPlan(input: {code: "bad", name: "Bad", slaPolicy: $policy}) { id }
           }""",
        {"policy": bad},
    )
    assert only_error(refused)["extensions"]["code"] == "VALIDATION_ERROR"

    center = await data_of(
        gateway_serial_client,
        manager,
        """mutation($calendar: JSON!) {
             createSupportCenter(input: {code: "utrecht", name: "Utrecht", regions: ["BENELUX"],
                                         calendar: $calendar}) { code regions }
           }""",
        {"calendar": SLA_POLICY["calendar"]},
    )
    assert center["createSupportCenter"] == {"code": "utrecht", "regions": ["BENELUX"]}

    agent = await password_token(gateway_serial_client, "agent@example.com")
    forbidden = await graphql(
        gateway_serial_client,
        agent,
        'mutation { createProduct(input: {code: "x", name: "X"}) { id } }',
    )
    assert only_error(forbidden)["extensions"]["code"] == "ROLE_FORBIDDEN"


async def test_customers_and_contacts_change_through_graphql(
    gateway_serial_client: httpx.AsyncClient, contracts_demo: ContractsDemo
) -> None:
    admin = await password_token(gateway_serial_client, "admin@example.com")
    fjord = contracts_demo.customers["Fjord Analytics"]
    restored = await data_of(
        gateway_serial_client,
        admin,
        "mutation($id: ID!) { updateCustomer(customerId: $id, input: {standing: GOOD}) "
        "{ name standing } }",
        {"id": fjord},
    )
    assert restored["updateCustomer"] == {"name": "Fjord Analytics", "standing": "GOOD"}

    ben = contracts_demo.contacts["ben@borealis.example"]
    promoted = await data_of(
        gateway_serial_client,
        admin,
        "mutation($id: ID!) { updateContact(contactId: $id, input: {isAdmin: true}) "
        "{ email isAdmin } }",
        {"id": ben},
    )
    assert promoted["updateContact"] == {"email": "ben@borealis.example", "isAdmin": True}

    # Another customer's administrator cannot touch Borealis' contacts.
    ana = await password_token(gateway_serial_client, "ana@acme-water.example")
    refused = await graphql(
        gateway_serial_client,
        ana,
        "mutation($id: ID!) { updateContact(contactId: $id, input: {isAdmin: false}) { id } }",
        {"id": ben},
    )
    assert only_error(refused)["extensions"]["code"] == "CONTACT_NOT_FOUND"
