"""The Client Services Manager of each region (seed 000: the customer may ask for the
region's Client Services Manager): set by managers, read by staff, services and the
customer's own people."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from contracts.models import StaffUser


def _error(response):
    return response.status_code, response.json()["error"]["code"]


async def test_each_demo_region_has_its_manager(client, sign_in, demo):
    agent = await sign_in("agent@example.com")
    listed = await client.get("/v1/client-services-managers", headers=agent)
    assert listed.status_code == 200
    assert [(m["region"], m["email"]) for m in listed.json()] == [
        ("AMERICAS", "csm.americas@example.com"),
        ("APAC", "csm.apac@example.com"),
        ("EMEA", "csm.emea@example.com"),
    ]
    ana = await sign_in("ana@acme-water.example")
    assert _error(await client.get("/v1/client-services-managers", headers=ana)) == (
        403,
        "ROLE_FORBIDDEN",
    )


async def test_a_customer_reads_its_regions_manager_and_no_other(
    client, sign_in, demo_ids, service_headers
):
    acme = demo_ids.customers["Acme Water"]
    cobalt = demo_ids.customers["Cobalt Logistics"]
    ana = await sign_in("ana@acme-water.example")
    own = await client.get(f"/v1/customers/{acme}/client-services-manager", headers=ana)
    assert own.status_code == 200
    assert (own.json()["region"], own.json()["email"]) == ("AMERICAS", "csm.americas@example.com")
    other = await client.get(f"/v1/customers/{cobalt}/client-services-manager", headers=ana)
    nobody = await client.get(f"/v1/customers/{uuid.uuid4()}/client-services-manager", headers=ana)
    assert _error(other) == _error(nobody) == (404, "CUSTOMER_NOT_FOUND")
    # Tickets asks with its service credentials when a customer escalates.
    asked = await client.get(
        f"/v1/customers/{cobalt}/client-services-manager", headers=service_headers
    )
    assert asked.json()["email"] == "csm.emea@example.com"


async def test_managers_name_a_regions_manager(client, sign_in, demo_ids, session):
    manager = await sign_in("manager@example.com")
    agent = await sign_in("agent@example.com")
    agent_id = await session.scalar(
        select(StaffUser.id).where(StaffUser.email == "agent@example.com")
    )
    body = {"region": "EMEA", "staff_user_id": str(agent_id)}
    assert _error(await client.put("/v1/client-services-managers", json=body, headers=agent)) == (
        403,
        "ROLE_FORBIDDEN",
    )
    named = await client.put("/v1/client-services-managers", json=body, headers=manager)
    assert named.status_code == 200, named.text
    assert named.json()["email"] == "agent@example.com"
    cobalt = demo_ids.customers["Cobalt Logistics"]
    now = await client.get(f"/v1/customers/{cobalt}/client-services-manager", headers=agent)
    assert now.json()["email"] == "agent@example.com"

    unknown = {"region": "EMEA", "staff_user_id": str(uuid.uuid4())}
    refused = await client.put("/v1/client-services-managers", json=unknown, headers=manager)
    assert _error(refused) == (422, "CLIENT_SERVICES_MANAGER_INVALID")
    # A region nobody manages: the customer's escalation is kept without an owner.
    fresh = await client.post(
        "/v1/customers",
        json={"name": "Gamma Ports", "region": "LATAM", "timezone": "UTC"},
        headers=manager,
    )
    assert fresh.status_code == 201, fresh.text
    missing = await client.get(
        f"/v1/customers/{fresh.json()['id']}/client-services-manager", headers=manager
    )
    assert _error(missing) == (404, "CLIENT_SERVICES_MANAGER_NOT_SET")
