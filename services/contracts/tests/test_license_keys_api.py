"""License keys through the real app: issue, validate, suspend, resume, revoke, reissue,
expiry with the agreement, and offline verification with plain ``cryptography``.

This module deliberately imports nothing of ``contracts.licensing``: keys are checked
against docs/api.md's format with code of our own, as a customer's installation would."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from sqlalchemy import update

from contracts.models import LicenseKey

pytestmark = pytest.mark.usefixtures("quick_demo_password")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64url_encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _sign(payload: dict, private_key: Ed25519PrivateKey) -> str:
    signed = "key/" + _b64url_encode(json.dumps(payload).encode())
    return f"{signed}.{_b64url_encode(private_key.sign(signed.encode()))}"


@pytest.fixture
async def agent(staff, sign_in):
    return await sign_in(staff["AGENT"])


@pytest.fixture
def issue(client, agent, demo_ids):
    async def create(customer="Delta Secure", major=3, **fields):
        body = {
            "customer_id": str(demo_ids.customers.get(customer, customer)),
            "product_id": str(demo_ids.product),
            "major_version": major,
            **fields,
        }
        return await client.post("/v1/license-keys", json=body, headers=agent)

    return create


@pytest.fixture
def validate(client, agent, demo_ids):
    async def check(key, version="3.1", product_id=None, headers=None):
        response = await client.post(
            "/v1/license-keys/validate",
            json={
                "key": key,
                "product_id": str(product_id or demo_ids.product),
                "version": version,
            },
            headers=headers or agent,
        )
        assert response.status_code == 200, response.text
        return response.json()

    return check


async def test_a_key_is_issued_and_validates_for_its_major_version(
    client, staff, sign_in, agent, issue, validate, demo_ids, outbox
):
    ticket = str(uuid.uuid4())
    response = await issue(request_ticket_id=ticket)
    assert response.status_code == 201, response.text
    key = response.json()
    assert key["key"].startswith("key/") and key["key"].count(".") == 1
    assert (key["status"], key["major_version"], key["expires_at"]) == ("active", 3, None)
    assert key["customer_id"] == str(demo_ids.customers["Delta Secure"])
    assert key["request_ticket_id"] == ticket
    (event,) = await outbox("license_key.issued")
    assert (event["license_key_id"], event["request_ticket_id"]) == (key["id"], ticket)

    answer = await validate(key["key"], "3.1")
    assert answer == {
        "valid": True,
        "code": "VALID",
        "license_id": key["id"],
        "customer_id": key["customer_id"],
        "product_id": key["product_id"],
        "major_version": 3,
        "expires_at": None,
    }
    assert (await validate(f"  {key['key']}\n", "3"))["code"] == "VALID"
    for version in ("2.3", "4.0", "latest"):
        answer = await validate(key["key"], version)
        assert (answer["valid"], answer["code"]) == (False, "VERSION_MISMATCH"), version
    manager = await sign_in(staff["MANAGER"])
    other = (
        await client.post("/v1/products", json={"code": "other", "name": "Other"}, headers=manager)
    ).json()
    assert (await validate(key["key"], "3.1", other["id"]))["code"] == "VERSION_MISMATCH"

    assert (await client.get(f"/v1/license-keys/{key['id']}", headers=agent)).json() == key


async def test_suspend_resume_and_revoke(client, agent, issue, validate, outbox):
    key = (await issue()).json()
    url = f"/v1/license-keys/{key['id']}"

    async def act(action, reason="per customer request"):
        return await client.post(f"{url}/{action}", json={"reason": reason}, headers=agent)

    response = await act("suspend", "payment overdue")
    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["status_reason"]) == (
        "suspended",
        "payment overdue",
    )
    answer = await validate(key["key"])
    assert (answer["valid"], answer["code"], answer["license_id"]) == (
        False,
        "SUSPENDED",
        key["id"],
    )
    again = await act("suspend")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "LICENSE_KEY_STATUS_TRANSITION"
    assert again.json()["error"]["details"] == {"from": "suspended", "to": "suspended"}

    assert (await act("resume")).json()["status"] == "active"
    assert (await validate(key["key"]))["code"] == "VALID"
    assert (await act("resume")).status_code == 409

    assert (await act("revoke", "leaked on a forum")).json()["status"] == "revoked"
    assert (await validate(key["key"]))["code"] == "REVOKED"
    for action in ("suspend", "resume", "revoke", "reissue"):
        response = await act(action)
        assert response.status_code == 409, action
        assert response.json()["error"]["code"] == "LICENSE_KEY_STATUS_TRANSITION"

    for event_type in ("suspended", "resumed", "revoked"):
        (event,) = await outbox(f"license_key.{event_type}")
        assert event["license_key_id"] == key["id"]
    assert (await client.post(f"{url}/suspend", json={}, headers=agent)).status_code == 422


async def test_reissue_revokes_the_old_key_and_the_new_one_validates(
    client, agent, issue, validate, outbox
):
    old = (await issue()).json()
    response = await client.post(
        f"/v1/license-keys/{old['id']}/reissue", json={"reason": "new server"}, headers=agent
    )
    assert response.status_code == 201, response.text
    new = response.json()
    assert new["id"] != old["id"] and new["key"] != old["key"]
    assert new["replaces_id"] == old["id"]
    assert (new["customer_id"], new["product_id"], new["major_version"]) == (
        old["customer_id"],
        old["product_id"],
        old["major_version"],
    )
    assert (await validate(new["key"]))["code"] == "VALID"
    assert (await validate(old["key"]))["code"] == "REVOKED"
    stored = (await client.get(f"/v1/license-keys/{old['id']}", headers=agent)).json()
    assert (stored["status"], stored["status_reason"]) == ("revoked", "reissued: new server")
    (event,) = await outbox("license_key.reissued")
    assert (event["license_key_id"], event["replaces_id"]) == (new["id"], old["id"])


async def test_tampered_foreign_and_unknown_keys(app, agent, issue, validate, demo_ids):
    key = (await issue()).json()["key"]
    signed, _, signature = key.partition(".")
    payload = json.loads(_b64url_decode(signed[len("key/") :]))

    # Another customer id, same signature: the signature no longer matches.
    forged = {**payload, "customer_id": str(demo_ids.customers["Acme Water"])}
    tampered = "key/" + _b64url_encode(json.dumps(forged).encode()) + "." + signature
    assert (await validate(tampered)) == {
        "valid": False,
        "code": "BAD_SIGNATURE",
        "license_id": None,
        "customer_id": None,
        "product_id": None,
        "major_version": None,
        "expires_at": None,
    }
    flipped = key[:-3] + ("A" if key[-3] != "A" else "B") + key[-2:]
    for bad in (flipped, "hello", key.replace("key/", "kex/"), key + ".x", "key/.", key[:40]):
        assert (await validate(bad))["code"] == "BAD_SIGNATURE", bad

    foreign = _sign(payload, Ed25519PrivateKey.generate())
    assert (await validate(foreign))["code"] == "BAD_SIGNATURE"

    # Signed by us, but no such license on record.
    unknown = _sign({**payload, "license_id": str(uuid.uuid4())}, app.state.license_signing_key)
    assert (await validate(unknown))["code"] == "NOT_FOUND"


async def test_a_key_bound_to_an_agreement_expires_with_it(
    client, agent, issue, validate, demo_ids, session
):
    agreement_id = demo_ids.agreements[("Delta Secure", "infotecs-basic")]
    agreement = (await client.get(f"/v1/agreements/{agreement_id}", headers=agent)).json()
    response = await issue(agreement_id=str(agreement_id))
    assert response.status_code == 201, response.text
    key = response.json()
    # Valid through the agreement's last day, to its end in UTC.
    day_after = datetime.fromisoformat(agreement["ends_on"]) + timedelta(days=1)
    assert datetime.fromisoformat(key["expires_at"]) == day_after.replace(tzinfo=UTC)
    assert key["agreement_id"] == str(agreement_id)
    payload = json.loads(_b64url_decode(key["key"].partition(".")[0][len("key/") :]))
    assert datetime.fromisoformat(payload["expires_at"]) == day_after.replace(tzinfo=UTC)
    answer = await validate(key["key"])
    assert answer["code"] == "VALID"
    assert datetime.fromisoformat(answer["expires_at"]) == day_after.replace(tzinfo=UTC)

    await session.execute(
        update(LicenseKey)
        .where(LicenseKey.id == uuid.UUID(key["id"]))
        .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    await session.commit()
    answer = await validate(key["key"])
    assert (answer["valid"], answer["code"], answer["license_id"]) == (False, "EXPIRED", key["id"])

    # A reissued agreement key expires with the agreement too.
    reissued = (
        await client.post(
            f"/v1/license-keys/{key['id']}/reissue", json={"reason": "lost"}, headers=agent
        )
    ).json()
    assert datetime.fromisoformat(reissued["expires_at"]) == day_after.replace(tzinfo=UTC)


async def test_expiry_and_binding_are_checked_when_issuing(issue, demo_ids):
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    response = await issue(expires_at=past)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "KEY_EXPIRY_IN_PAST"
    echo = demo_ids.agreements[("Echo Mining", "infotecs-basic")]
    response = await issue("Echo Mining", agreement_id=str(echo))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "KEY_EXPIRY_IN_PAST"

    future = datetime.now(UTC).replace(microsecond=0) + timedelta(days=90)
    response = await issue(expires_at=future.isoformat())
    assert response.status_code == 201
    assert datetime.fromisoformat(response.json()["expires_at"]) == future

    acme = demo_ids.agreements[("Acme Water", "infocare")]
    for fields, status, code in [
        ({"agreement_id": str(acme)}, 422, "AGREEMENT_NOT_FOUND"),
        ({"agreement_id": str(uuid.uuid4())}, 422, "AGREEMENT_NOT_FOUND"),
        ({"major": 9}, 422, "VERSION_UNKNOWN"),
        ({"customer": str(uuid.uuid4())}, 404, "CUSTOMER_NOT_FOUND"),
        ({"major": -1}, 422, "VALIDATION_ERROR"),
    ]:
        response = await issue(**fields)
        assert response.status_code == status, fields
        assert response.json()["error"]["code"] == code


async def test_unknown_product_and_unknown_key(client, agent, demo_ids):
    response = await client.post(
        "/v1/license-keys",
        json={
            "customer_id": str(demo_ids.customers["Delta Secure"]),
            "product_id": str(uuid.uuid4()),
            "major_version": 1,
        },
        headers=agent,
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "PRODUCT_NOT_FOUND"
    unknown = uuid.uuid4()
    for method, path, body in [
        ("GET", "", None),
        ("POST", "/suspend", {"reason": "x"}),
        ("POST", "/resume", {"reason": "x"}),
        ("POST", "/revoke", {"reason": "x"}),
        ("POST", "/reissue", {"reason": "x"}),
    ]:
        response = await client.request(
            method, f"/v1/license-keys/{unknown}{path}", json=body, headers=agent
        )
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "LICENSE_KEY_NOT_FOUND"
    response = await client.post(
        "/v1/license-keys/validate", json={"key": "key/x.y"}, headers=agent
    )
    assert response.status_code == 422


async def test_keys_are_listed_with_filters(client, agent, issue, demo_ids):
    delta = (await issue()).json()
    delta_v2 = (await issue(major=2)).json()
    acme = (await issue("Acme Water")).json()
    await client.post(
        f"/v1/license-keys/{delta_v2['id']}/suspend", json={"reason": "x"}, headers=agent
    )

    async def ids(**params):
        response = await client.get("/v1/license-keys", params=params, headers=agent)
        assert response.status_code == 200
        return {k["id"] for k in response.json()["items"]}

    assert await ids() == {delta["id"], delta_v2["id"], acme["id"]}
    assert await ids(customer_id=str(demo_ids.customers["Delta Secure"])) == {
        delta["id"],
        delta_v2["id"],
    }
    assert await ids(status="suspended") == {delta_v2["id"]}
    assert await ids(product_id=str(demo_ids.product), status="active") == {
        delta["id"],
        acme["id"],
    }
    assert await ids(product_id=str(uuid.uuid4())) == set()


async def test_an_issued_key_verifies_offline_with_plain_cryptography(client, agent, issue):
    """What a customer's installation does: the public key (PEM) and the key text only."""
    key = (await issue(expires_at="2030-01-01T00:00:00Z")).json()

    response = await client.get("/v1/license-keys/public-key", headers=agent)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    pem = response.text
    assert pem.startswith("-----BEGIN PUBLIC KEY-----")
    public_key = load_pem_public_key(pem.encode())
    assert isinstance(public_key, Ed25519PublicKey)

    text = key["key"]
    assert text.startswith("key/")
    signed_part, signature_text = text.split(".")
    assert "=" not in text  # base64url without padding
    public_key.verify(_b64url_decode(signature_text), signed_part.encode("ascii"))
    payload = json.loads(_b64url_decode(signed_part[len("key/") :]).decode("utf-8"))
    assert set(payload) == {
        "license_id",
        "customer_id",
        "product_id",
        "major_version",
        "issued_at",
        "expires_at",
    }
    assert payload["license_id"] == key["id"]
    assert payload["customer_id"] == key["customer_id"]
    assert payload["product_id"] == key["product_id"]
    assert payload["major_version"] == 3
    assert datetime.fromisoformat(payload["issued_at"]) == datetime.fromisoformat(key["issued_at"])
    assert datetime.fromisoformat(payload["expires_at"]) == datetime(2030, 1, 1, tzinfo=UTC)

    # Any change to the signed part fails the check.
    altered = dict(payload, major_version=4)
    altered_part = "key/" + _b64url_encode(json.dumps(altered).encode())
    with pytest.raises(InvalidSignature):
        public_key.verify(_b64url_decode(signature_text), altered_part.encode("ascii"))

    assert (await client.get("/v1/license-keys/public-key")).status_code == 401


async def test_only_staff_issue_and_change_keys(client, sign_in, issue, demo_ids):
    key = (await issue()).json()
    dan = await sign_in("dan@delta.example")
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
    assert response.json()["error"]["code"] == "ROLE_FORBIDDEN"
    for action in ("suspend", "resume", "revoke", "reissue"):
        response = await client.post(
            f"/v1/license-keys/{key['id']}/{action}", json={"reason": "mine"}, headers=dan
        )
        assert response.status_code == 403, action


async def test_keys_bound_to_an_agreement_follow_it(client, demo_ids, sign_in):
    """Suspended or cancelled, the agreement takes its keys along; renewed, its keys are
    issued again for the new year while the old ones run to the end of theirs."""
    manager = await sign_in("manager@example.com")
    agreement = demo_ids.agreements[("Delta Secure", "infotecs-basic")]
    issued = await client.post(
        "/v1/license-keys",
        json={
            "customer_id": str(demo_ids.customers["Delta Secure"]),
            "product_id": str(demo_ids.product),
            "major_version": 3,
            "agreement_id": str(agreement),
        },
        headers=manager,
    )
    assert issued.status_code == 201, issued.text
    key = issued.json()

    async def code(k):
        body = {"key": k["key"], "product_id": str(demo_ids.product), "version": "3.1"}
        return (await client.post("/v1/license-keys/validate", json=body, headers=manager)).json()[
            "code"
        ]

    assert await code(key) == "VALID"
    renewed = await client.post(f"/v1/agreements/{agreement}/renew", headers=manager)
    assert renewed.status_code == 201, renewed.text
    keys = (
        await client.get(
            "/v1/license-keys",
            params={"customer_id": str(demo_ids.customers["Delta Secure"])},
            headers=manager,
        )
    ).json()["items"]
    successor = next(k for k in keys if k["replaces_id"] == key["id"])
    assert successor["agreement_id"] == renewed.json()["id"]
    assert successor["expires_at"] > key["expires_at"]
    assert await code(key) == "VALID" and await code(successor) == "VALID"

    await client.post(
        f"/v1/agreements/{agreement}/status",
        json={"status": "suspended", "reason": "unpaid"},
        headers=manager,
    )
    assert await code(key) == "SUSPENDED"
    await client.post(
        f"/v1/agreements/{agreement}/status",
        json={"status": "cancelled", "reason": "ended"},
        headers=manager,
    )
    assert await code(key) == "EXPIRED"
