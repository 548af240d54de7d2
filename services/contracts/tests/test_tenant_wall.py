"""The tenant wall in contracts, for every kind of caller: staff (admin, manager, agent),
a customer's administrator and plain contact, keys bound to a customer (minted by its
administrator or by staff), the vendor's own integration keys (with and without scopes)
and service accounts. Real app, real PostgreSQL."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from careplane_shared.testing import bearer
from contracts.models import Contact, Customer, StaffUser, outbox_events

pytestmark = pytest.mark.usefixtures("quick_demo_password")

NEW_CUSTOMER = {"name": "Gannet Water", "region": "EMEA", "timezone": "Europe/Amsterdam"}


async def _key(
    client: httpx.AsyncClient, headers: dict[str, str], **body: Any
) -> tuple[dict[str, Any], dict[str, str]]:
    """Creates an API key through the API and exchanges it for a token: (key, headers)."""
    response = await client.post("/v1/api-keys", json={"name": "key", **body}, headers=headers)
    assert response.status_code == 201, response.text
    key = response.json()
    response = await client.post(
        "/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": key["client_id"],
            "client_secret": key["client_secret"],
        },
    )
    assert response.status_code == 200, response.text
    return key, bearer(response.json()["access_token"])


@pytest.fixture
async def callers(client, staff, sign_in, demo_ids, service_headers) -> SimpleNamespace:
    """Headers for every kind of caller; customer-side ones belong to Delta Secure (dan)
    or Borealis Health (ben, a plain contact)."""
    admin = await sign_in(staff["ADMIN"])
    dan = await sign_in("dan@delta.example")
    delta = str(demo_ids.customers["Delta Secure"])
    dan_key, dan_key_headers = await _key(client, dan, scopes=["contracts:write"])
    staff_bound, staff_bound_headers = await _key(
        client, admin, scopes=["contracts:write"], customer_id=delta
    )
    _, vendor_write = await _key(client, admin, scopes=["contracts:write"])
    _, vendor_bare = await _key(client, admin)
    assert dan_key["customer_id"] == delta and staff_bound["customer_id"] == delta
    return SimpleNamespace(
        admin=admin,
        manager=await sign_in(staff["MANAGER"]),
        agent=await sign_in(staff["AGENT"]),
        dan=dan,
        ben=await sign_in("ben@borealis.example"),
        finn=await sign_in("finn@fjord.example"),
        dan_key=dan_key_headers,
        staff_bound=staff_bound_headers,
        vendor_write=vendor_write,
        vendor_bare=vendor_bare,
        service=service_headers,
        dan_key_row=dan_key,
        staff_bound_row=staff_bound,
    )


def _customer_side(c: SimpleNamespace) -> dict[str, dict[str, str]]:
    return {
        "customer admin": c.dan,
        "plain contact": c.ben,
        "key minted by a customer admin": c.dan_key,
        "key bound by staff": c.staff_bound,
    }


def _error(response: httpx.Response) -> dict[str, Any]:
    error = dict(response.json()["error"])
    error.pop("request_id", None)
    return error


# -- customers: vendor-side writes ----------------------------------------------------------


async def test_upsert_by_external_id_is_the_vendors_alone(client, callers, session, demo_ids):
    borealis = demo_ids.customers["Borealis Health"]
    await session.execute(
        update(Customer).where(Customer.id == borealis).values(external_id="crm-borealis")
    )
    await session.commit()
    hostile = {**NEW_CUSTOMER, "name": "Borealis (rewritten)", "standing": "suspended"}
    for who, headers in _customer_side(callers).items():
        response = await client.put(
            "/v1/customers/by-external-id/crm-borealis", json=hostile, headers=headers
        )
        assert response.status_code == 403, who
        assert response.json()["error"]["code"] == "ROLE_FORBIDDEN", who
        response = await client.put(
            f"/v1/customers/by-external-id/new-{uuid.uuid4().hex[:6]}",
            json=NEW_CUSTOMER,
            headers=headers,
        )
        assert response.status_code == 403, who
    customer = await session.get(Customer, borealis, populate_existing=True)
    assert customer is not None and (customer.name, customer.standing) == (
        "Borealis Health",
        "good",
    )

    # The vendor's integration key needs its write scope; then it syncs.
    response = await client.put(
        "/v1/customers/by-external-id/crm-gannet", json=NEW_CUSTOMER, headers=callers.vendor_bare
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "SCOPE_FORBIDDEN"
    for expected, headers in [
        (201, callers.vendor_write),
        (200, callers.service),
        (200, callers.admin),
    ]:
        response = await client.put(
            "/v1/customers/by-external-id/crm-gannet", json=NEW_CUSTOMER, headers=headers
        )
        assert response.status_code == expected, response.text


async def test_a_taken_external_id_names_its_customer_to_staff_only(client, callers):
    body = {**NEW_CUSTOMER, "external_id": "crm-taken"}
    created = await client.post("/v1/customers", json=body, headers=callers.admin)
    assert created.status_code == 201
    for headers in (callers.vendor_write, callers.service):
        response = await client.post("/v1/customers", json=body, headers=headers)
        assert response.status_code == 409
        assert _error(response) == {
            "code": "EXTERNAL_ID_TAKEN",
            "message": "A customer with this external id exists.",
        }
    response = await client.post("/v1/customers", json=body, headers=callers.manager)
    assert response.status_code == 409
    assert response.json()["error"]["details"] == {"customer_id": created.json()["id"]}
    for who, headers in _customer_side(callers).items():
        response = await client.post("/v1/customers", json=body, headers=headers)
        assert response.status_code == 403, who


async def test_a_suspended_customer_cannot_lift_its_own_suspension(
    client, callers, demo_ids, session
):
    fjord = str(demo_ids.customers["Fjord Analytics"])
    _, fjord_key = await _key(client, callers.finn, scopes=["contracts:write"])
    _, fjord_bound = await _key(
        client, callers.admin, scopes=["contracts:write"], customer_id=fjord
    )
    for headers in (callers.finn, fjord_key, fjord_bound):
        for body in ({"standing": "good"}, {"name": "Fjord"}, {"support_center_id": None}):
            response = await client.patch(f"/v1/customers/{fjord}", json=body, headers=headers)
            assert response.status_code == 403, body
    assert (await client.get(f"/v1/customers/{fjord}", headers=fjord_key)).json()[
        "standing"
    ] == "suspended"
    response = await client.patch(
        f"/v1/customers/{fjord}", json={"standing": "good"}, headers=callers.manager
    )
    assert response.status_code == 200 and response.json()["standing"] == "good"


async def test_bound_keys_see_their_own_customer_only(client, callers, demo_ids):
    delta, acme = demo_ids.customers["Delta Secure"], demo_ids.customers["Acme Water"]
    for headers in (callers.dan_key, callers.staff_bound):
        listed = (await client.get("/v1/customers", headers=headers)).json()
        assert [c["id"] for c in listed["items"]] == [str(delta)]
        response = await client.get(f"/v1/customers/{acme}", headers=headers)
        assert response.status_code == 404
        contacts = (await client.get("/v1/contacts", headers=headers)).json()
        assert {c["customer_id"] for c in contacts["items"]} == {str(delta)}
        response = await client.get("/v1/staff-users", headers=headers)
        assert response.status_code == 403
    # The vendor's keys see every customer, even without scopes (reads).
    listed = (await client.get("/v1/customers", headers=callers.vendor_bare)).json()
    assert listed["total"] >= 6


# -- billing ----------------------------------------------------------------------------------


async def test_billable_items_are_recorded_by_the_vendor_side_with_keys_of_its_own(
    client, callers, demo_ids
):
    delta, acme = demo_ids.customers["Delta Secure"], demo_ids.customers["Acme Water"]

    def item(customer: uuid.UUID) -> dict[str, Any]:
        return {
            "customer_id": str(customer),
            "kind": "service_request",
            "occurred_at": "2026-04-01T10:00:00Z",
            "idempotency_key": "visit-2026-04-01",
        }

    first = await client.post("/v1/billable-items", json=item(acme), headers=callers.agent)
    assert first.status_code == 201, first.text
    again = await client.post("/v1/billable-items", json=item(acme), headers=callers.agent)
    assert (again.status_code, again.json()["id"]) == (200, first.json()["id"])

    for who, headers in _customer_side(callers).items():
        response = await client.post("/v1/billable-items", json=item(delta), headers=headers)
        assert response.status_code == 403, who
    response = await client.post(
        "/v1/billable-items", json=item(delta), headers=callers.vendor_bare
    )
    assert response.json()["error"]["code"] == "SCOPE_FORBIDDEN"

    # Another caller replaying the same key records its own item, never answers Acme's.
    mine = await client.post("/v1/billable-items", json=item(delta), headers=callers.vendor_write)
    assert mine.status_code == 201, mine.text
    assert mine.json()["id"] != first.json()["id"]
    assert mine.json()["customer_id"] == str(delta)

    listed = (await client.get("/v1/billable-items", headers=callers.dan_key)).json()
    assert {i["customer_id"] for i in listed["items"]} == {str(delta)}


# -- API keys -------------------------------------------------------------------------------


async def test_unknown_scopes_are_refused(client, callers):
    for headers in (callers.admin, callers.dan):
        response = await client.post(
            "/v1/api-keys",
            json={"name": "x", "scopes": ["contracts:write", "tickets:admin", "*"]},
            headers=headers,
        )
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "API_KEY_SCOPE_UNKNOWN"
        assert error["details"]["unknown"] == ["*", "tickets:admin"]
    response = await client.post(
        "/v1/api-keys",
        json={"name": "svc", "role": "SERVICE", "scopes": ["tickets:read"]},
        headers=callers.admin,
    )
    assert response.status_code == 422


async def test_a_customer_holds_a_bounded_number_of_active_keys(
    client, callers, contracts_settings, demo_ids
):
    """Each key is a principal with limits of its own: a customer cannot multiply them."""
    limit = contracts_settings.max_api_keys_per_customer
    delta = str(demo_ids.customers["Delta Secure"])
    listed = (await client.get("/v1/api-keys", params={"limit": 200}, headers=callers.dan)).json()
    held = listed["total"]  # the keys callers made for Delta Secure
    assert 0 < held < limit
    made = []
    for i in range(limit - held):  # bounded by the setting (20 by default)
        response = await client.post("/v1/api-keys", json={"name": f"k{i}"}, headers=callers.dan)
        assert response.status_code == 201, response.text
        made.append(response.json()["id"])
    for headers, body in [
        (callers.dan, {"name": "one more"}),
        (callers.admin, {"name": "bound by staff", "customer_id": delta}),
    ]:
        response = await client.post("/v1/api-keys", json=body, headers=headers)
        assert response.status_code == 409, response.text
        assert response.json()["error"]["code"] == "API_KEY_LIMIT_REACHED"
    # Other customers and the vendor's own keys are not affected.
    response = await client.post("/v1/api-keys", json={"name": "vendor"}, headers=callers.admin)
    assert response.status_code == 201
    # A revoked key frees its place.
    response = await client.delete(f"/v1/api-keys/{made[0]}", headers=callers.dan)
    assert response.status_code == 204
    response = await client.post("/v1/api-keys", json={"name": "again"}, headers=callers.dan)
    assert response.status_code == 201


async def test_a_key_bound_by_staff_must_name_a_customer_that_exists(client, callers):
    response = await client.post(
        "/v1/api-keys", json={"name": "x", "customer_id": str(uuid.uuid4())}, headers=callers.admin
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "CUSTOMER_NOT_FOUND"


async def test_api_keys_are_managed_by_people_not_by_keys(client, callers):
    for who, headers, code in [
        ("key minted by a customer admin", callers.dan_key, "HUMAN_REQUIRED"),
        ("key bound by staff", callers.staff_bound, "HUMAN_REQUIRED"),
        ("vendor key", callers.vendor_write, "ROLE_FORBIDDEN"),
        ("service", callers.service, "ROLE_FORBIDDEN"),
        ("plain contact", callers.ben, "ROLE_FORBIDDEN"),
        ("agent", callers.agent, "ROLE_FORBIDDEN"),
    ]:
        for method, path, body in [
            ("POST", "/v1/api-keys", {"name": "more"}),
            ("GET", "/v1/api-keys", None),
            ("DELETE", f"/v1/api-keys/{callers.dan_key_row['id']}", None),
        ]:
            response = await client.request(method, path, json=body, headers=headers)
            assert response.status_code == 403, (who, method)
            assert response.json()["error"]["code"] == code, (who, method)


async def test_only_administrators_handle_service_keys(client, callers, contracts_settings):
    service_id = next(iter(contracts_settings.service_clients))
    listed = (await client.get("/v1/api-keys", params={"limit": 200}, headers=callers.admin)).json()
    service_key = next(k for k in listed["items"] if k["client_id"] == service_id)

    response = await client.post(
        "/v1/api-keys", json={"name": "svc", "role": "SERVICE"}, headers=callers.manager
    )
    assert response.status_code == 403
    seen = (await client.get("/v1/api-keys", params={"limit": 200}, headers=callers.manager)).json()
    assert all(k["role"] != "SERVICE" for k in seen["items"])
    assert callers.staff_bound_row["id"] in {k["id"] for k in seen["items"]}
    response = await client.delete(f"/v1/api-keys/{service_key['id']}", headers=callers.manager)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "API_KEY_NOT_FOUND"
    assert (await client.get("/v1/me", headers=callers.service)).status_code == 200

    # A customer administrator neither sees nor revokes the vendor's or services' keys.
    mine = (await client.get("/v1/api-keys", headers=callers.dan)).json()
    assert {k["customer_id"] for k in mine["items"]} == {callers.dan_key_row["customer_id"]}
    response = await client.delete(f"/v1/api-keys/{service_key['id']}", headers=callers.dan)
    assert response.status_code == 404

    response = await client.delete(f"/v1/api-keys/{service_key['id']}", headers=callers.admin)
    assert response.status_code == 204
    response = await client.get("/v1/me", headers=callers.service)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "ACCOUNT_INACTIVE"


# -- entitlement: no oracle -----------------------------------------------------------------


async def test_another_tenants_contact_answers_as_no_contact_at_all(client, callers, demo_ids):
    finn = demo_ids.contacts["finn@fjord.example"]  # suspended customer: reasons to leak
    ana = demo_ids.contacts["ana@acme-water.example"]
    dan = demo_ids.contacts["dan@delta.example"]

    async def check(headers, contact, product=demo_ids.product, **extra):
        return await client.post(
            "/v1/entitlements/check",
            json={
                "contact_id": str(contact),
                "product_id": str(product),
                "version": "3.1",
                **extra,
            },
            headers=headers,
        )

    for headers in (callers.dan, callers.dan_key, callers.staff_bound, callers.ben):
        nobody = await check(headers, uuid.uuid4())
        assert nobody.status_code == 404
        for contact in (finn, ana):
            for product in (demo_ids.product, uuid.uuid4()):
                other = await check(headers, contact, product)
                assert (other.status_code, _error(other)) == (404, _error(nobody))
    # A service asking for a customer's caller gets the same wall.
    delta = str(demo_ids.customers["Delta Secure"])
    other = await check(callers.service, finn, customer_id=delta)
    nobody = await check(callers.service, uuid.uuid4(), customer_id=delta)
    assert (other.status_code, _error(other)) == (404, _error(nobody))
    assert (await check(callers.service, finn)).json()["reasons"]
    # Own contacts answer, for keys too (a read: no scope needed).
    _, bare = await _key(client, callers.dan)
    for headers in (callers.dan, callers.dan_key, bare, callers.vendor_bare):
        response = await check(headers, dan)
        assert response.status_code == 200, response.text


# -- contacts: invitations ------------------------------------------------------------------


async def _invited_token(session, email: str) -> tuple[str, set[str]]:
    rows = (
        await session.execute(
            select(outbox_events.c.destination, outbox_events.c.envelope).where(
                outbox_events.c.type == "contact.invited"
            )
        )
    ).all()
    matching = [r for r in rows if r.envelope["data"]["email"] == email]
    assert matching, f"no invitation for {email}"
    return matching[-1].envelope["data"]["token"], {r.destination for r in matching}


async def test_a_customer_invites_and_learns_nothing_of_other_tenants(
    client, callers, demo_ids, session
):
    delta = demo_ids.customers["Delta Secure"]
    url = f"/v1/customers/{delta}/contacts"
    answers = {}
    for headers, email in [
        (callers.dan, "ana@acme-water.example"),  # Acme's administrator
        (callers.dan, "new.person@delta.example"),
        (callers.dan_key, "bo@borealis.example"),
        (callers.staff_bound, "another@delta.example"),
    ]:
        response = await client.post(url, json={"email": email, "name": "P"}, headers=headers)
        assert response.status_code == 201, response.text
        body = response.json()
        answers[email] = {k: v for k, v in body.items() if k not in ("id", "email", "created_at")}
    assert len({tuple(sorted(a.items())) for a in answers.values()}) == 1
    assert next(iter(answers.values()))["pending"] is True

    # Only the customer's own addresses are a conflict (it sees its own contacts).
    response = await client.post(
        url, json={"email": "ANA@acme-water.example", "name": "P"}, headers=callers.dan
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "CONTACT_EMAIL_TAKEN"
    response = await client.post(
        url,
        json={"email": "x@delta.example", "name": "P", "password": "a-long-pass"},
        headers=callers.dan,
    )
    assert response.json()["error"]["code"] == "PASSWORD_NOT_ALLOWED"
    response = await client.post(
        url, json={"email": "y@delta.example", "name": "P"}, headers=callers.ben
    )
    assert response.status_code == 404  # Borealis' contact: Delta does not exist for it
    borealis = demo_ids.customers["Borealis Health"]
    response = await client.post(
        f"/v1/customers/{borealis}/contacts",
        json={"email": "y@b.example", "name": "P"},
        headers=callers.ben,
    )
    assert response.status_code == 403

    # Pending contacts cannot sign in and are not entitled.
    response = await client.post(
        "/auth/token",
        data={
            "grant_type": "password",
            "username": "new.person@delta.example",
            "password": "x" * 9,
        },
    )
    assert response.json()["error"]["code"] == "INVALID_GRANT"

    # The invitation goes to notify only; the person accepts with its own password.
    token, destinations = await _invited_token(session, "new.person@delta.example")
    assert destinations == {"notify"}
    response = await client.post(
        f"/v1/contacts/invitations/{token}/accept", json={"password": "my-own-secret"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["pending"] is False
    response = await client.post(
        "/auth/token",
        data={
            "grant_type": "password",
            "username": "new.person@delta.example",
            "password": "my-own-secret",
        },
    )
    assert response.status_code == 200
    me = (await client.get("/v1/me", headers=bearer(response.json()["access_token"]))).json()
    assert me["customer_id"] == str(delta)
    response = await client.post(
        f"/v1/contacts/invitations/{token}/accept", json={"password": "my-own-secret"}
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "INVITATION_NOT_FOUND"

    # An address that signs in elsewhere is refused to the person itself, and its
    # account is untouched.
    token, _ = await _invited_token(session, "ana@acme-water.example")
    response = await client.post(
        f"/v1/contacts/invitations/{token}/accept", json={"password": "my-own-secret"}
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "EMAIL_ALREADY_REGISTERED"
    ana = await session.scalar(
        select(Contact).where(Contact.email == "ana@acme-water.example", Contact.pending.is_(False))
    )
    assert ana is not None and ana.customer_id == demo_ids.customers["Acme Water"]
    response = await client.post(
        "/v1/contacts/invitations/not-a-real-token-at-all/accept", json={"password": "whatever1"}
    )
    assert response.status_code == 404

    # Staff see every customer: for them a taken address is a plain conflict.
    response = await client.post(
        url, json={"email": "cora@cobalt.example", "name": "C"}, headers=callers.admin
    )
    assert response.status_code == 409


async def test_an_invited_contact_is_not_entitled_until_it_accepts(client, callers, demo_ids):
    delta = demo_ids.customers["Delta Secure"]
    created = await client.post(
        f"/v1/customers/{delta}/contacts",
        json={"email": "later@delta.example", "name": "Later"},
        headers=callers.dan,
    )
    response = await client.post(
        "/v1/entitlements/check",
        json={
            "contact_id": created.json()["id"],
            "product_id": str(demo_ids.product),
            "version": "3.1",
        },
        headers=callers.dan,
    )
    assert "CONTACT_NOT_REGISTERED" in response.json()["reasons"]


# -- who am I, once deactivated ---------------------------------------------------------------


async def test_me_answers_account_inactive_once_deactivated_or_revoked(
    client, callers, demo_ids, session, staff
):
    for headers in (callers.agent, callers.ben, callers.dan_key, callers.vendor_write):
        assert (await client.get("/v1/me", headers=headers)).status_code == 200

    await session.execute(
        update(StaffUser).where(StaffUser.email == staff["AGENT"]).values(active=False)
    )
    await session.commit()
    ben = demo_ids.contacts["ben@borealis.example"]
    bo = await client.patch(f"/v1/contacts/{ben}", json={"active": False}, headers=callers.admin)
    assert bo.status_code == 200
    response = await client.delete(f"/v1/api-keys/{callers.dan_key_row['id']}", headers=callers.dan)
    assert response.status_code == 204

    for headers in (callers.agent, callers.ben, callers.dan_key):
        response = await client.get("/v1/me", headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "ACCOUNT_INACTIVE"
    assert (await client.get("/v1/me", headers=callers.vendor_write)).status_code == 200


async def test_one_callers_key_recorded_at_once_records_one_item(committed_app, contracts_settings):
    """Concurrent requests with one caller's key: one item, every answer naming it."""
    import asyncio

    from careplane_shared.testing import asgi_client

    client_id, secret = next(iter(contracts_settings.service_clients.items()))
    async with asgi_client(committed_app) as client:
        token = (
            await client.post(
                "/auth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": client_id,
                    "client_secret": secret,
                },
            )
        ).json()["access_token"]
        service = bearer(token)
        customer = (
            await client.post(
                "/v1/customers",
                json={**NEW_CUSTOMER, "name": f"Race {uuid.uuid4().hex[:8]}"},
                headers=service,
            )
        ).json()
        body = {
            "customer_id": customer["id"],
            "kind": "service_request",
            "occurred_at": "2026-04-01T10:00:00Z",
            "idempotency_key": f"race-{uuid.uuid4().hex}",
        }
        answers = await asyncio.gather(
            *[client.post("/v1/billable-items", json=body, headers=service) for _ in range(4)]
        )
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 201]
    assert len({a.json()["id"] for a in answers}) == 1


async def test_an_invitation_sent_again_replaces_the_old_token(client, callers, demo_ids, session):
    delta = demo_ids.customers["Delta Secure"]
    created = await client.post(
        f"/v1/customers/{delta}/contacts",
        json={"email": "slow@delta.example", "name": "Slow"},
        headers=callers.dan,
    )
    contact = created.json()["id"]
    old, _ = await _invited_token(session, "slow@delta.example")
    other = await client.post(
        f"/v1/contacts/{contact}/invitation", headers=callers.ben
    )  # another customer's caller: the contact does not exist for it
    assert other.status_code == 404
    response = await client.post(f"/v1/contacts/{contact}/invitation", headers=callers.dan_key)
    assert response.status_code == 200 and response.json()["pending"] is True
    new, _ = await _invited_token(session, "slow@delta.example")
    assert new != old
    response = await client.post(
        f"/v1/contacts/invitations/{old}/accept", json={"password": "my-own-secret"}
    )
    assert response.status_code == 404
    response = await client.post(
        f"/v1/contacts/invitations/{new}/accept", json={"password": "my-own-secret"}
    )
    assert response.status_code == 200
    response = await client.post(f"/v1/contacts/{contact}/invitation", headers=callers.dan)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "CONTACT_NOT_PENDING"


async def test_keys_set_no_passwords(client, callers, demo_ids):
    """A key setting a person's password could sign in as that person."""
    dan = demo_ids.contacts["dan@delta.example"]
    for headers in (callers.dan_key, callers.staff_bound, callers.vendor_write):
        response = await client.patch(
            f"/v1/contacts/{dan}", json={"password": "taken-over-now"}, headers=headers
        )
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "HUMAN_REQUIRED"
    response = await client.patch(
        f"/v1/contacts/{dan}", json={"name": "Dan D."}, headers=callers.dan_key
    )
    assert response.status_code == 200
    response = await client.patch(
        f"/v1/contacts/{dan}", json={"password": "a-new-password"}, headers=callers.dan
    )
    assert response.status_code == 200


# -- every route that takes an id, for every customer-side caller -----------------------------

# A body each write route accepts (the wall must hold with a valid request, not only with a
# 422); routes of the global catalogue (products, plans) take no tenant's id.
_BODIES: dict[tuple[str, str], Any] = {
    ("PUT", "/v1/customers/by-external-id/{external_id}"): NEW_CUSTOMER,
    ("PATCH", "/v1/customers/{customer_id}"): {"name": "Renamed"},
    ("POST", "/v1/customers/{customer_id}/contacts"): {"email": "m@x.example", "name": "M"},
    ("PATCH", "/v1/contacts/{contact_id}"): {"name": "Renamed"},
    ("POST", "/v1/agreements/{agreement_id}/status"): {"status": "suspended", "reason": "x"},
    ("POST", "/v1/agreements/{agreement_id}/quota/consume"): {"ticket_id": str(uuid.uuid4())},
    ("POST", "/v1/agreements/{agreement_id}/quota/reversal"): {"ticket_id": str(uuid.uuid4())},
    ("POST", "/v1/agreements/{agreement_id}/quota/purchases"): {"amount": 1},
    ("POST", "/v1/agreements/{agreement_id}/quota/exchanges"): {"amount": 1, "service": "x"},
    ("POST", "/v1/license-keys/{key_id}/suspend"): {"reason": "x"},
    ("POST", "/v1/license-keys/{key_id}/resume"): {"reason": "x"},
    ("POST", "/v1/license-keys/{key_id}/revoke"): {"reason": "x"},
    ("POST", "/v1/license-keys/{key_id}/reissue"): {"reason": "x"},
}
_GLOBAL = ("/v1/products/", "/v1/plans/", "/v1/contacts/invitations/")


def _fill(route_path: str, ids: dict[str, str]) -> str:
    """The route's path with ids from ``ids`` (``key_id`` is a license key's or an API key's)."""
    path = route_path
    for part in route_path.split("/"):
        if part.startswith("{"):
            name = part.strip("{}")
            if name == "key_id":
                name = "api_key_id" if route_path.startswith("/v1/api-keys/") else "license_key_id"
            path = path.replace(part, ids[name])
    return path


def _answer(response: httpx.Response) -> tuple[int, str, str]:
    error = response.json()["error"]
    return response.status_code, error["code"], error["message"]


async def test_every_route_taking_an_id_keeps_other_tenants_out(
    client, app, callers, demo_ids, session
):
    """Every route of the OpenAPI with an id in its path, for every customer-side caller:
    Acme's ids answer 403/404 exactly as ids that exist nowhere."""
    from careplane_shared.testing import password_token

    acme = demo_ids.customers["Acme Water"]
    await session.execute(update(Customer).where(Customer.id == acme).values(external_id="acme"))
    await session.commit()
    license_key = await client.post(
        "/v1/license-keys",
        json={"customer_id": str(acme), "product_id": str(demo_ids.product), "major_version": 3},
        headers=callers.agent,
    )
    ana = bearer(await password_token(client, "ana@acme-water.example"))
    acme_key, _ = await _key(client, ana)
    acme_ids = {
        "customer_id": str(acme),
        "contact_id": str(demo_ids.contacts["ana@acme-water.example"]),
        "agreement_id": str(
            next(v for (name, _), v in demo_ids.agreements.items() if name == "Acme Water")
        ),
        "external_id": "acme",
        "license_key_id": license_key.json()["id"],
        "api_key_id": acme_key["id"],
    }
    nowhere = {k: str(uuid.uuid4()) for k in acme_ids} | {"external_id": "no-such"}
    checked = 0
    for route_path, operations in app.openapi()["paths"].items():
        if "{" not in route_path or route_path.startswith(_GLOBAL):
            continue
        for method in (m.upper() for m in operations):
            body = _BODIES.get((method, route_path))
            for who, headers in _customer_side(callers).items():
                other = await client.request(
                    method, _fill(route_path, acme_ids), json=body, headers=headers
                )
                none = await client.request(
                    method, _fill(route_path, nowhere), json=body, headers=headers
                )
                where = (who, method, route_path)
                assert other.status_code in (403, 404), (where, other.text)
                assert _answer(other) == _answer(none), where
                checked += 1
    # Lists filtered by another customer's id answer nothing of it.
    for who, headers in _customer_side(callers).items():
        for path in ("/v1/contacts", "/v1/agreements", "/v1/license-keys", "/v1/billable-items"):
            response = await client.get(path, params={"customer_id": str(acme)}, headers=headers)
            assert response.status_code == 200, (who, path)
            assert all(i["customer_id"] != str(acme) for i in response.json()["items"]), (who, path)
            checked += 1
    print(f"contracts tenant wall: {checked} checks (route x caller)")
    assert checked > 100


async def test_two_invitations_of_one_address_accepted_at_once_make_one_account(
    committed_app, contracts_settings
):
    """Two customers invite the same address; both accepted at the same moment: the
    partial unique index lets one through, the other is told the address is taken."""
    import asyncio

    from careplane_shared.testing import asgi_client, password_token

    client_id, secret = next(iter(contracts_settings.service_clients.items()))
    email = f"twice-{uuid.uuid4().hex[:8]}@example.com"
    async with asgi_client(committed_app) as client:
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
        admins = []
        for name in ("one", "two"):
            customer = (
                await client.post(
                    "/v1/customers",
                    json={**NEW_CUSTOMER, "name": f"{name} {uuid.uuid4().hex[:6]}"},
                    headers=service,
                )
            ).json()
            admin_email = f"admin-{uuid.uuid4().hex[:8]}@example.com"
            response = await client.post(
                f"/v1/customers/{customer['id']}/contacts",
                json={
                    "email": admin_email,
                    "name": "Admin",
                    "is_admin": True,
                    "password": "a-long-password",
                },
                headers=service,
            )
            assert response.status_code == 201, response.text
            admin = bearer(await password_token(client, admin_email, "a-long-password"))
            response = await client.post(
                f"/v1/customers/{customer['id']}/contacts",
                json={"email": email, "name": "Twice"},
                headers=admin,
            )
            assert response.status_code == 201, response.text
            admins.append(admin)
        async with committed_app.state.database.sessionmaker() as session:
            rows = (
                await session.execute(
                    select(outbox_events.c.envelope).where(
                        outbox_events.c.type == "contact.invited"
                    )
                )
            ).all()
        tokens = [r.envelope["data"]["token"] for r in rows if r.envelope["data"]["email"] == email]
        assert len(tokens) == 2
        answers = await asyncio.gather(
            *[
                client.post(
                    f"/v1/contacts/invitations/{token}/accept", json={"password": "mine-own-1"}
                )
                for token in tokens
            ]
        )
    assert sorted(a.status_code for a in answers) == [200, 409]
    assert {a.json()["error"]["code"] for a in answers if a.status_code == 409} == {
        "EMAIL_ALREADY_REGISTERED"
    }


async def test_contact_lists_tell_invitations_apart(client, callers, demo_ids):
    """Whoever mails a customer's contacts (notify) asks for accepted ones only."""
    delta = demo_ids.customers["Delta Secure"]
    await client.post(
        f"/v1/customers/{delta}/contacts",
        json={"email": "ana@acme-water.example", "name": "Not Ana's inbox"},
        headers=callers.dan,
    )
    for path, params in [
        (f"/v1/customers/{delta}/contacts", {}),
        ("/v1/contacts", {"customer_id": str(delta)}),
    ]:
        accepted = await client.get(
            path, params={**params, "pending": "false"}, headers=callers.service
        )
        invited = await client.get(path, params={**params, "pending": "true"}, headers=callers.dan)
        assert [c["email"] for c in accepted.json()["items"]] == ["dan@delta.example"]
        assert [c["email"] for c in invited.json()["items"]] == ["ana@acme-water.example"]
