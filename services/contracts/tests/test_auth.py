"""Tokens, JWKS, ``/v1/me`` and API keys, through the real app on real PostgreSQL."""

from __future__ import annotations

import base64
import time
import uuid

import jwt
import pytest
from sqlalchemy import select

from careplane_shared.testing import bearer
from careplane_shared.testing import password_token as token_for
from contracts.identity.secrets import hash_password
from contracts.models import ApiKey, Contact, Customer


@pytest.fixture
async def customers(session):
    """Two customers, each with an administrator and a plain contact."""
    result = {}
    password_hash = hash_password("s3cret-pass")
    for name in ("acme", "borealis"):
        customer = Customer(id=uuid.uuid4(), name=name, region="EMEA", timezone="Europe/London")
        admin = Contact(
            id=uuid.uuid4(),
            customer_id=customer.id,
            email=f"admin@{name}.example",
            name=f"{name} admin",
            is_admin=True,
            password_hash=password_hash,
        )
        plain = Contact(
            id=uuid.uuid4(),
            customer_id=customer.id,
            email=f"user@{name}.example",
            name=f"{name} user",
            password_hash=password_hash,
        )
        session.add_all([customer, admin, plain])
        result[name] = (customer, admin, plain)
    await session.commit()
    return result


async def test_password_grant_gives_a_verifiable_eddsa_token(client, staff):
    response = await client.post(
        "/auth/token",
        data={"grant_type": "password", "username": "ADMIN@example.com", "password": "careplane"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 900

    jwks = (await client.get("/.well-known/jwks.json")).json()
    assert jwks["keys"][0]["kty"] == "OKP" and jwks["keys"][0]["crv"] == "Ed25519"
    key = jwt.PyJWK(jwks["keys"][0])
    claims = jwt.decode(body["access_token"], key, algorithms=["EdDSA"], audience="careplane")
    assert claims["role"] == "ADMIN"
    assert claims["email"] == "admin@example.com"
    assert claims["iss"] == "careplane"
    assert 0 < claims["exp"] - time.time() <= 900
    assert jwt.get_unverified_header(body["access_token"])["kid"] == jwks["keys"][0]["kid"]


@pytest.mark.parametrize(
    "form",
    [
        {"grant_type": "password", "username": "admin@example.com", "password": "wrong"},
        {"grant_type": "password", "username": "nobody@example.com", "password": "careplane"},
        {"grant_type": "password", "username": "admin@example.com"},
    ],
)
async def test_bad_credentials_are_refused_with_invalid_grant(client, staff, form):
    response = await client.post("/auth/token", data=form)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "INVALID_GRANT"
    assert error["request_id"]


async def test_unknown_grant_type_and_missing_grant_type(client):
    response = await client.post("/auth/token", data={"grant_type": "implicit"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "UNSUPPORTED_GRANT_TYPE"

    response = await client.post("/auth/token", data={"username": "x"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"][0]["loc"] == ["body", "grant_type"]


async def test_me_for_staff_and_for_contacts(client, staff, customers):
    admin_token = await token_for(client, staff["ADMIN"])
    me = (await client.get("/v1/me", headers=bearer(admin_token))).json()
    assert me["email"] == "admin@example.com"
    assert me["role"] == "ADMIN"
    assert me["customer_id"] is None

    customer, admin, plain = customers["acme"]
    me = (
        await client.get(
            "/v1/me", headers=bearer(await token_for(client, admin.email, "s3cret-pass"))
        )
    ).json()
    assert me == {
        "id": str(admin.id),
        "email": admin.email,
        "name": admin.name,
        "role": "CUSTOMER_ADMIN",
        "customer_id": str(customer.id),
    }
    me = (
        await client.get(
            "/v1/me", headers=bearer(await token_for(client, plain.email, "s3cret-pass"))
        )
    ).json()
    assert me["role"] == "CONTACT"


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "UNAUTHENTICATED"),
        ({"Authorization": "Bearer not-a-jwt"}, "TOKEN_INVALID"),
        ({"Authorization": "Basic YWJjOmRlZg=="}, "UNAUTHENTICATED"),
    ],
)
async def test_missing_or_bad_token_is_401_in_the_error_shape(client, headers, code):
    response = await client.get("/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["request_id"] == response.headers["x-request-id"]


async def test_tokens_signed_by_another_key_or_expired_are_refused(client, app, staff):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    foreign = jwt.encode(
        {
            "sub": "x",
            "role": "ADMIN",
            "iss": "careplane",
            "aud": "careplane",
            "iat": 1,
            "exp": 2**40,
        },
        Ed25519PrivateKey.generate(),
        algorithm="EdDSA",
        headers={"kid": app.state.signing_key.kid},
    )
    response = await client.get("/v1/me", headers=bearer(foreign))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "TOKEN_INVALID"

    now = int(time.time())
    expired = app.state.signing_key.sign(
        {
            "sub": "x",
            "role": "ADMIN",
            "iss": "careplane",
            "aud": "careplane",
            "iat": now - 999,
            "exp": now - 600,
        }
    )
    response = await client.get("/v1/me", headers=bearer(expired))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "TOKEN_EXPIRED"

    hs256 = jwt.encode(
        {"sub": "x", "role": "ADMIN"}, "an-hmac-secret-that-is-long-enough-32b", algorithm="HS256"
    )
    response = await client.get("/v1/me", headers=bearer(hs256))
    assert response.status_code == 401


async def test_unknown_route_is_404_in_the_error_shape(client):
    response = await client.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


async def test_api_key_created_once_then_exchanged_for_a_token(client, staff, session):
    admin = bearer(await token_for(client, staff["ADMIN"]))
    response = await client.post(
        "/v1/api-keys", json={"name": "CRM sync", "scopes": ["tickets:read"]}, headers=admin
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["client_secret"].startswith("cps_")
    assert created["role"] == "INTEGRATION"

    stored = await session.scalar(select(ApiKey).where(ApiKey.client_id == created["client_id"]))
    assert stored is not None and created["client_secret"] not in stored.secret_hash

    listed = (await client.get("/v1/api-keys", headers=admin)).json()
    assert listed["total"] >= 1
    assert all("client_secret" not in item for item in listed["items"])

    response = await client.post(
        "/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": created["client_id"],
            "client_secret": created["client_secret"],
        },
    )
    assert response.status_code == 200, response.text
    me = (await client.get("/v1/me", headers=bearer(response.json()["access_token"]))).json()
    assert me["role"] == "INTEGRATION"
    assert me["name"] == "CRM sync"

    basic = base64.b64encode(f"{created['client_id']}:{created['client_secret']}".encode()).decode()
    response = await client.post(
        "/auth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert response.status_code == 200

    assert (await client.delete(f"/v1/api-keys/{created['id']}", headers=admin)).status_code == 204
    response = await client.post(
        "/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": created["client_id"],
            "client_secret": created["client_secret"],
        },
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "INVALID_CLIENT"


async def test_wrong_role_is_403(client, staff, customers):
    agent = bearer(await token_for(client, staff["AGENT"]))
    response = await client.get("/v1/api-keys", headers=agent)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "ROLE_FORBIDDEN"

    _, _, plain = customers["acme"]
    contact = bearer(await token_for(client, plain.email, "s3cret-pass"))
    response = await client.post("/v1/api-keys", json={"name": "x"}, headers=contact)
    assert response.status_code == 403

    manager = bearer(await token_for(client, staff["MANAGER"]))
    response = await client.post(
        "/v1/api-keys", json={"name": "svc", "role": "SERVICE"}, headers=manager
    )
    assert response.status_code == 403


async def test_bad_body_is_422_with_field_details(client, staff):
    admin = bearer(await token_for(client, staff["ADMIN"]))
    response = await client.post("/v1/api-keys", json={"name": "", "colour": "red"}, headers=admin)
    assert response.status_code == 422
    details = response.json()["error"]["details"]
    assert {tuple(d["loc"]) for d in details} == {("body", "name"), ("body", "colour")}

    response = await client.delete("/v1/api-keys/not-a-uuid", headers=admin)
    assert response.status_code == 422


async def test_customer_admin_keys_stay_within_its_customer(client, staff, customers):
    acme, acme_admin, _ = customers["acme"]
    borealis, borealis_admin, _ = customers["borealis"]
    acme_headers = bearer(await token_for(client, acme_admin.email, "s3cret-pass"))
    borealis_headers = bearer(await token_for(client, borealis_admin.email, "s3cret-pass"))

    response = await client.post(
        "/v1/api-keys",
        json={"name": "acme sync", "customer_id": str(borealis.id)},
        headers=acme_headers,
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "TENANT_FORBIDDEN"

    response = await client.post("/v1/api-keys", json={"name": "acme sync"}, headers=acme_headers)
    assert response.status_code == 201
    acme_key = response.json()
    assert acme_key["customer_id"] == str(acme.id)

    # Another customer neither sees nor revokes it: it does not exist for them.
    listed = (await client.get("/v1/api-keys", headers=borealis_headers)).json()
    assert acme_key["id"] not in {k["id"] for k in listed["items"]}
    response = await client.delete(f"/v1/api-keys/{acme_key['id']}", headers=borealis_headers)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "API_KEY_NOT_FOUND"

    token = (
        await client.post(
            "/auth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": acme_key["client_id"],
                "client_secret": acme_key["client_secret"],
            },
        )
    ).json()["access_token"]
    me = (await client.get("/v1/me", headers=bearer(token))).json()
    assert me["customer_id"] == str(acme.id)


async def test_service_accounts_from_configuration_get_service_tokens(client, contracts_settings):
    client_id, secret = next(iter(contracts_settings.service_clients.items()))
    response = await client.post(
        "/auth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    assert response.status_code == 200, response.text
    me = (await client.get("/v1/me", headers=bearer(response.json()["access_token"]))).json()
    assert me["role"] == "SERVICE"


async def test_inbox_takes_each_event_once_and_only_from_services(
    client, contracts_settings, staff
):
    client_id, secret = next(iter(contracts_settings.service_clients.items()))
    service_token = (
        await client.post(
            "/auth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": secret,
            },
        )
    ).json()["access_token"]
    event = {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": "tickets",
        "type": "ticket.opened",
        "data": {"ticket_id": str(uuid.uuid4())},
    }
    first = await client.post("/v1/events", json=event, headers=bearer(service_token))
    assert first.status_code == 202 and first.json()["accepted"] is True
    again = await client.post("/v1/events", json=event, headers=bearer(service_token))
    assert again.status_code == 200 and again.json()["accepted"] is False

    admin = bearer(await token_for(client, staff["ADMIN"]))
    response = await client.post("/v1/events", json=event, headers=admin)
    assert response.status_code == 403

    response = await client.post("/v1/events", json={"id": "x"}, headers=bearer(service_token))
    assert response.status_code == 422


async def test_health_readiness_metrics_openapi(client):
    assert (await client.get("/healthz")).json() == {"status": "ok", "service": "contracts"}
    assert (await client.get("/readyz")).status_code == 200
    metrics = (await client.get("/metrics")).text
    assert "careplane_http_requests_total" in metrics
    spec = (await client.get("/openapi.json")).json()
    assert "/auth/token" in spec["paths"] and "/v1/api-keys" in spec["paths"]


async def test_staff_users_are_listed_for_staff_only(client, staff, customers):
    agent = bearer(await token_for(client, staff["AGENT"]))
    listed = (await client.get("/v1/staff-users", headers=agent)).json()
    assert {u["email"] for u in listed["items"]} == set(staff.values())
    assert listed["total"] == 3
    one = listed["items"][0]
    only = (await client.get("/v1/staff-users", params={"id": one["id"]}, headers=agent)).json()
    assert [u["id"] for u in only["items"]] == [one["id"]]
    managers = (
        await client.get("/v1/staff-users", params={"role": "MANAGER"}, headers=agent)
    ).json()
    assert [u["email"] for u in managers["items"]] == [staff["MANAGER"]]

    _, admin, _ = customers["acme"]
    contact = bearer(await token_for(client, admin.email, "s3cret-pass"))
    assert (await client.get("/v1/staff-users", headers=contact)).status_code == 403


async def test_tokens_signed_before_a_key_rotation_stay_valid_until_they_expire(
    contracts_settings, tmp_path
):
    """Rotation: the new key signs, the retired one is still published and accepted."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from careplane_shared.testing import asgi_client, running_app
    from contracts.main import create_app

    old_key = Ed25519PrivateKey.generate()
    pem = old_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    old_public = (
        old_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    before = create_app(contracts_settings.model_copy(update={"jwt_private_key": pem}))
    async with running_app(before), asgi_client(before) as client:
        client_id, secret = next(iter(contracts_settings.service_clients.items()))
        old_token = (
            await client.post(
                "/auth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": client_id,
                    "client_secret": secret,
                },
            )
        ).json()["access_token"]

    rotated = contracts_settings.model_copy(
        update={
            "jwt_private_key_file": tmp_path / "new.pem",
            "jwt_retired_public_keys": [old_public],
        }
    )
    after = create_app(rotated)
    async with running_app(after), asgi_client(after) as client:
        kids = [k["kid"] for k in (await client.get("/.well-known/jwks.json")).json()["keys"]]
        assert len(kids) == 2 and kids[0] == after.state.signing_key.kid
        assert (await client.get("/v1/me", headers=bearer(old_token))).status_code == 200
