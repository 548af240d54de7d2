"""Customers, contacts and support centers through the real app on real PostgreSQL."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from careplane_shared.testing import bearer, password_token
from contracts.models import Contact, Customer

pytestmark = pytest.mark.usefixtures("quick_demo_password")

NEW_CUSTOMER = {
    "name": "Gannet Water Board",
    "region": "EMEA",
    "timezone": "Europe/Amsterdam",
    "language": "nl",
}


async def test_staff_create_read_list_and_suspend_a_customer(client, staff, sign_in, outbox):
    admin = await sign_in(staff["ADMIN"])
    response = await client.post("/v1/customers", json=NEW_CUSTOMER, headers=admin)
    assert response.status_code == 201, response.text
    created = response.json()
    assert {k: created[k] for k in NEW_CUSTOMER} == NEW_CUSTOMER
    assert created["standing"] == "good"
    assert created["external_id"] is None and created["support_center_id"] is None
    assert [e["id"] for e in await outbox("customer.created")] == [created["id"]]

    response = await client.get(f"/v1/customers/{created['id']}", headers=admin)
    assert response.status_code == 200
    assert response.json() == created

    agent = await sign_in(staff["AGENT"])
    listed = (await client.get("/v1/customers", params={"search": "gannet"}, headers=agent)).json()
    assert (listed["total"], [c["id"] for c in listed["items"]]) == (1, [created["id"]])

    response = await client.patch(
        f"/v1/customers/{created['id']}", json={"standing": "suspended"}, headers=admin
    )
    assert response.status_code == 200, response.text
    assert response.json()["standing"] == "suspended"
    updated = await outbox("customer.updated")
    assert [(e["id"], e["standing"], e["changed"]) for e in updated] == [
        (created["id"], "suspended", ["standing"])
    ]

    suspended = (
        await client.get("/v1/customers", params={"standing": "suspended"}, headers=agent)
    ).json()
    assert [c["id"] for c in suspended["items"]] == [created["id"]]
    good = (await client.get("/v1/customers", params={"standing": "good"}, headers=agent)).json()
    assert created["id"] not in {c["id"] for c in good["items"]}


async def test_events_are_written_once_per_outbox_destination(
    client, staff, sign_in, session, contracts_settings
):
    from contracts.models import outbox_events

    admin = await sign_in(staff["ADMIN"])
    created = (await client.post("/v1/customers", json=NEW_CUSTOMER, headers=admin)).json()
    rows = (
        await session.execute(
            select(outbox_events.c.destination, outbox_events.c.envelope).where(
                outbox_events.c.type == "customer.created"
            )
        )
    ).all()
    assert sorted(r.destination for r in rows) == sorted(contracts_settings.outbox_targets)
    envelope = rows[0].envelope
    assert envelope["source"] == "contracts" and envelope["specversion"] == "1.0"
    assert envelope["subject"] == created["id"]
    assert len({r.envelope["id"] for r in rows}) == 1


async def test_a_duplicate_external_id_is_refused_on_create_and_on_change(client, staff, sign_in):
    admin = await sign_in(staff["ADMIN"])
    first = await client.post(
        "/v1/customers", json={**NEW_CUSTOMER, "external_id": "crm-7"}, headers=admin
    )
    assert first.status_code == 201
    again = await client.post(
        "/v1/customers",
        json={**NEW_CUSTOMER, "name": "Someone else", "external_id": "crm-7"},
        headers=admin,
    )
    assert again.status_code == 409
    error = again.json()["error"]
    assert error["code"] == "EXTERNAL_ID_TAKEN"
    assert error["details"] == {"customer_id": first.json()["id"]}
    assert error["request_id"] == again.headers["x-request-id"]

    other = (await client.post("/v1/customers", json=NEW_CUSTOMER, headers=admin)).json()
    response = await client.patch(
        f"/v1/customers/{other['id']}", json={"external_id": "crm-7"}, headers=admin
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "EXTERNAL_ID_TAKEN"


async def test_upsert_by_external_id_creates_then_updates_one_customer(
    client, staff, sign_in, session, outbox
):
    # The CRM syncs with an API key of its own (an integration).
    admin = await sign_in(staff["ADMIN"])
    key = (
        await client.post(
            "/v1/api-keys",
            json={"name": "CRM", "role": "INTEGRATION", "scopes": ["contracts:write"]},
            headers=admin,
        )
    ).json()
    token = (
        await client.post(
            "/auth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": key["client_id"],
                "client_secret": key["client_secret"],
            },
        )
    ).json()["access_token"]
    crm = bearer(token)

    first = await client.put("/v1/customers/by-external-id/crm-42", json=NEW_CUSTOMER, headers=crm)
    assert first.status_code == 201, first.text
    assert first.json()["external_id"] == "crm-42"
    again = await client.put(
        "/v1/customers/by-external-id/crm-42",
        json={**NEW_CUSTOMER, "name": "Gannet Water", "standing": "suspended"},
        headers=crm,
    )
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]
    assert (again.json()["name"], again.json()["standing"]) == ("Gannet Water", "suspended")
    same = await client.put(
        "/v1/customers/by-external-id/crm-42",
        json={**NEW_CUSTOMER, "name": "Gannet Water", "standing": "suspended"},
        headers=crm,
    )
    assert same.status_code == 200 and same.json()["id"] == first.json()["id"]

    count = await session.scalar(
        select(func.count()).select_from(Customer).where(Customer.external_id == "crm-42")
    )
    assert count == 1
    assert [e["id"] for e in await outbox("customer.created")] == [first.json()["id"]]
    assert len(await outbox("customer.updated")) == 2

    # The upsert's body cannot carry another external id than the path's.
    response = await client.put(
        "/v1/customers/by-external-id/crm-43",
        json={**NEW_CUSTOMER, "external_id": "crm-44"},
        headers=crm,
    )
    assert response.status_code == 422


async def test_bad_customer_bodies_are_422_naming_the_field(client, staff, sign_in):
    admin = await sign_in(staff["ADMIN"])
    for body, field in [
        ({**NEW_CUSTOMER, "timezone": "Mars/Olympus"}, "timezone"),
        ({**NEW_CUSTOMER, "language": "de"}, "language"),
        ({**NEW_CUSTOMER, "standing": "doubtful"}, "standing"),
        ({**NEW_CUSTOMER, "name": ""}, "name"),
        ({k: v for k, v in NEW_CUSTOMER.items() if k != "region"}, "region"),
        ({**NEW_CUSTOMER, "vip": True}, "vip"),
    ]:
        response = await client.post("/v1/customers", json=body, headers=admin)
        assert response.status_code == 422, field
        error = response.json()["error"]
        assert error["code"] == "VALIDATION_ERROR"
        assert [d["loc"][:2] for d in error["details"]] == [["body", field]]


async def test_unknown_ids_are_404_with_their_own_codes(client, staff, sign_in):
    admin = await sign_in(staff["ADMIN"])
    unknown = uuid.uuid4()
    for method, path, body in [
        ("GET", f"/v1/customers/{unknown}", None),
        ("PATCH", f"/v1/customers/{unknown}", {"name": "x"}),
        ("GET", f"/v1/customers/{unknown}/contacts", None),
        ("POST", f"/v1/customers/{unknown}/contacts", {"email": "a@b.example", "name": "A"}),
    ]:
        response = await client.request(method, path, json=body, headers=admin)
        assert response.status_code == 404, (method, path)
        assert response.json()["error"]["code"] == "CUSTOMER_NOT_FOUND"
    for method, body in [("GET", None), ("PATCH", {"name": "x"})]:
        response = await client.request(method, f"/v1/contacts/{unknown}", json=body, headers=admin)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "CONTACT_NOT_FOUND"

    response = await client.post(
        "/v1/customers", json={**NEW_CUSTOMER, "support_center_id": str(unknown)}, headers=admin
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "SUPPORT_CENTER_NOT_FOUND"

    response = await client.get("/v1/customers/not-a-uuid", headers=admin)
    assert response.status_code == 422


async def test_patch_cannot_null_a_required_field(client, staff, sign_in):
    admin = await sign_in(staff["ADMIN"])
    created = (await client.post("/v1/customers", json=NEW_CUSTOMER, headers=admin)).json()
    for field in ("name", "region", "timezone", "language", "standing"):
        response = await client.patch(
            f"/v1/customers/{created['id']}", json={field: None}, headers=admin
        )
        assert response.status_code == 422, (field, response.text)
        assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    # The nullable ones may be cleared.
    response = await client.patch(
        f"/v1/customers/{created['id']}",
        json={"external_id": None, "support_center_id": None},
        headers=admin,
    )
    assert response.status_code == 200


async def test_contacts_registered_listed_changed_and_signing_in(
    client, staff, sign_in, session, outbox
):
    admin = await sign_in(staff["ADMIN"])
    customer = (await client.post("/v1/customers", json=NEW_CUSTOMER, headers=admin)).json()
    contacts_url = f"/v1/customers/{customer['id']}/contacts"
    response = await client.post(
        contacts_url,
        json={
            "email": "Greta@Gannet.example",
            "name": "Greta",
            "is_admin": True,
            "password": "a-long-password",
        },
        headers=admin,
    )
    assert response.status_code == 201, response.text
    greta = response.json()
    assert greta["customer_id"] == customer["id"]
    assert (greta["is_admin"], greta["registered"], greta["active"]) == (True, True, True)
    assert "password" not in greta and "password_hash" not in greta
    assert await outbox("customer.contact_added") == [
        {"customer_id": customer["id"], "contact_id": greta["id"], "email": greta["email"]}
    ]

    # Email addresses are unique whatever their case.
    response = await client.post(
        contacts_url, json={"email": "greta@gannet.example", "name": "Greta 2"}, headers=admin
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "CONTACT_EMAIL_TAKEN"
    response = await client.post(contacts_url, json={"email": "nope", "name": "X"}, headers=admin)
    assert response.status_code == 422

    # The contact signs in with its password and is its customer's administrator.
    token = await password_token(client, "greta@gannet.example", "a-long-password")
    me = (await client.get("/v1/me", headers=bearer(token))).json()
    assert (me["role"], me["customer_id"]) == ("CUSTOMER_ADMIN", customer["id"])

    # ... who registers a colleague for its own customer.
    response = await client.post(
        contacts_url, json={"email": "hugo@gannet.example", "name": "Hugo"}, headers=bearer(token)
    )
    assert response.status_code == 201
    hugo = response.json()
    assert hugo["is_admin"] is False

    listed = (await client.get(contacts_url, headers=admin)).json()
    assert listed["total"] == 2
    assert [c["name"] for c in listed["items"]] == ["Greta", "Hugo"]
    assert (await client.get(f"/v1/contacts/{hugo['id']}", headers=admin)).json() == hugo

    response = await client.patch(
        f"/v1/contacts/{hugo['id']}", json={"registered": False, "active": False}, headers=admin
    )
    assert response.status_code == 200
    assert (response.json()["registered"], response.json()["active"]) == (False, False)
    assert (await outbox("customer.contact_updated"))[-1]["changed"] == ["active", "registered"]
    response = await client.patch(
        f"/v1/contacts/{hugo['id']}", json={"is_admin": None}, headers=admin
    )
    assert response.status_code == 422

    stored = await session.get(Contact, uuid.UUID(hugo["id"]), populate_existing=True)
    assert (stored.registered, stored.active) == (False, False)


async def test_support_centers_listed_by_staff_and_added_by_managers(
    client, staff, sign_in, demo_ids
):
    agent = await sign_in(staff["AGENT"])
    centers = (await client.get("/v1/support-centers", headers=agent)).json()
    assert [(c["code"], c["regions"], c["calendar"]["timezone"]) for c in centers] == [
        ("brisbane", ["APAC"], "Australia/Brisbane"),
        ("broomfield", ["AMERICAS"], "America/Denver"),
        ("wallingford", ["EMEA"], "Europe/London"),
    ]

    center = {
        "code": "utrecht",
        "name": "Utrecht",
        "regions": ["BENELUX"],
        "calendar": {
            "timezone": "Europe/Amsterdam",
            "hours": {"mon": [["09:00", "17:00"]]},
            "holiday_country": "NL",
        },
    }
    response = await client.post("/v1/support-centers", json=center, headers=agent)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "ROLE_FORBIDDEN"

    manager = await sign_in(staff["MANAGER"])
    response = await client.post("/v1/support-centers", json=center, headers=manager)
    assert response.status_code == 201, response.text
    assert response.json()["calendar"]["timezone"] == "Europe/Amsterdam"
    again = await client.post("/v1/support-centers", json=center, headers=manager)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "SUPPORT_CENTER_CODE_TAKEN"

    closed = {**center, "code": "nowhere", "calendar": {"timezone": "Europe/Amsterdam"}}
    response = await client.post("/v1/support-centers", json=closed, headers=manager)
    assert response.status_code == 422

    contact = await sign_in("ana@acme-water.example")
    assert (await client.get("/v1/support-centers", headers=contact)).status_code == 403


async def test_the_region_picks_the_center_unless_the_customer_names_one(
    client, staff, sign_in, demo_ids
):
    """Seen where it matters: the calendar an InfoCare case runs under."""
    manager = await sign_in(staff["MANAGER"])
    centers = {
        c["code"]: c["id"]
        for c in (await client.get("/v1/support-centers", headers=manager)).json()
    }

    async def center_of(customer_body):
        customer = (await client.post("/v1/customers", json=customer_body, headers=manager)).json()
        contact = (
            await client.post(
                f"/v1/customers/{customer['id']}/contacts",
                json={"email": f"{uuid.uuid4().hex[:8]}@x.example", "name": "C"},
                headers=manager,
            )
        ).json()
        response = await client.post(
            "/v1/agreements",
            json={
                "customer_id": customer["id"],
                "plan_id": str(demo_ids.plans["infocare"]),
                "commencement": "2026-01-01",
                "license_price": "1000",
                "product_ids": [str(demo_ids.product)],
            },
            headers=manager,
        )
        assert response.status_code == 201, response.text
        check = (
            await client.post(
                "/v1/entitlements/check",
                json={
                    "contact_id": contact["id"],
                    "product_id": str(demo_ids.product),
                    "version": "3.1",
                    "at": "2026-06-01",
                },
                headers=manager,
            )
        ).json()
        return check["support_center"], check["sla_policy"]["calendar"]["timezone"]

    assert await center_of({**NEW_CUSTOMER, "region": "APAC"}) == (
        "brisbane",
        "Australia/Brisbane",
    )
    assert await center_of(
        {**NEW_CUSTOMER, "region": "APAC", "support_center_id": centers["wallingford"]}
    ) == ("wallingford", "Europe/London")


async def test_contacts_cannot_create_or_change_customers(client, sign_in, demo_ids):
    ana = await sign_in("ana@acme-water.example")
    response = await client.post("/v1/customers", json=NEW_CUSTOMER, headers=ana)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "ROLE_FORBIDDEN"
    acme = demo_ids.customers["Acme Water"]
    response = await client.patch(f"/v1/customers/{acme}", json={"name": "Mine"}, headers=ana)
    assert response.status_code == 403
    response = await client.put("/v1/customers/by-external-id/x", json=NEW_CUSTOMER, headers=ana)
    assert response.status_code == 403
    assert (await client.get("/v1/customers")).status_code == 401
