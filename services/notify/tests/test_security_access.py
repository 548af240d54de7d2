"""notify's access rules by principal kind: a key bound to a customer gets exactly what that
customer's administrator gets (403 on every staff resource, 404 on every other tenant's or
global record, its own records only), the vendor's own integration keys manage every webhook
endpoint as before, and scopes narrow keys further. The real app on a rolled-back transaction;
preferences against the real contracts app."""

from __future__ import annotations

import uuid

import pytest
from notify_testkit import post_event, staff, ticket_event
from sqlalchemy import text

from careplane_shared.auth import Role
from careplane_shared.testing import asgi_client

ACME, BOREALIS = uuid.uuid4(), uuid.uuid4()
HOOK = "https://crm.example.com/hook"


async def _seed(client, minter, connection):
    """A global endpoint, one of Borealis', one of Acme's, a chat channel, a maintenance
    window, and a delivery to each endpoint."""
    made = {}
    for name, customer in (("global", None), ("borealis", BOREALIS), ("acme", ACME)):
        answer = await client.post(
            "/v1/webhook-endpoints",
            json={"url": f"{HOOK}/{name}", "event_types": ["ticket.opened"]}
            | ({"customer_id": str(customer)} if customer else {}),
            headers=staff(minter),
        )
        assert answer.status_code == 201, answer.text
        made[name] = answer.json()["id"]
    chat = await client.post(
        "/v1/chat-channels",
        json={"kind": "slack", "name": "#s", "webhook_url": HOOK, "event_types": ["*"]},
        headers=staff(minter),
    )
    made["chat"] = chat.json()["id"]
    for customer in (BOREALIS, ACME):
        assert (
            await post_event(client, minter, ticket_event(customer_id=customer))
        ).status_code == 202
    rows = await connection.execute(
        text("SELECT endpoint_id, id FROM deliveries WHERE channel = 'webhook'")
    )
    deliveries = {str(endpoint): str(delivery) for endpoint, delivery in rows}
    made |= {f"delivery:{n}": deliveries[made[n]] for n in ("global", "borealis", "acme")}
    # Borealis' delivery failed: something a recovery would queue again.
    await connection.execute(
        text("UPDATE deliveries SET status = 'failed' WHERE id = :id"),
        {"id": made["delivery:borealis"]},
    )
    return made


def _probes(ids):
    """(name, method, path, body) of every route a customer-side caller must not pass."""
    staff_only = [
        ("create chat channel", "POST", "/v1/chat-channels", {
            "kind": "slack", "name": "#x", "webhook_url": HOOK, "event_types": ["*"]}),
        ("list chat channels", "GET", "/v1/chat-channels", None),
        ("delete chat channel", "DELETE", f"/v1/chat-channels/{ids['chat']}", None),
        ("read staff digest", "GET", "/v1/staff-digest", None),
        ("change staff digest", "PUT", "/v1/staff-digest", {
            "timezone": "UTC", "quiet_start": None, "quiet_end": None, "digest_minutes": 0}),
        ("dev mailbox", "GET", "/v1/mailbox", None),
        ("dev mail", "GET", "/v1/mailbox/x.eml", None),
        ("create maintenance", "POST", "/v1/maintenance-windows", {
            "title": "t", "description": "d", "starts_at": "2030-01-01T00:00:00Z",
            "ends_at": "2030-01-01T01:00:00Z"}),
        ("cancel maintenance", "POST", f"/v1/maintenance-windows/{uuid.uuid4()}/cancel", {}),
    ]  # fmt: skip
    others = []
    for owner in ("global", "borealis"):
        endpoint, delivery = ids[owner], ids[f"delivery:{owner}"]
        others += [
            (f"read {owner} endpoint", "GET", f"/v1/webhook-endpoints/{endpoint}", None),
            (f"change {owner} endpoint", "PATCH", f"/v1/webhook-endpoints/{endpoint}", {
                "url": f"{HOOK}/stolen"}),
            (f"rotate {owner} secret", "POST",
             f"/v1/webhook-endpoints/{endpoint}/rotate-secret", None),
            (f"delete {owner} endpoint", "DELETE", f"/v1/webhook-endpoints/{endpoint}", None),
            (f"read {owner} delivery", "GET", f"/v1/deliveries/{delivery}", None),
            (f"resend {owner} delivery", "POST", f"/v1/deliveries/{delivery}/resend", None),
        ]  # fmt: skip
    unknown = [
        ("read unknown endpoint", "GET", f"/v1/webhook-endpoints/{uuid.uuid4()}", None),
        ("read unknown delivery", "GET", f"/v1/deliveries/{uuid.uuid4()}", None),
    ]
    return staff_only, others, unknown


CUSTOMER_SIDE = {
    "customer admin": lambda m: m.headers(Role.CUSTOMER_ADMIN, customer_id=ACME),
    "bound key": lambda m: m.headers(Role.INTEGRATION, customer_id=ACME, scope="notify:write"),
}


async def _answers(client, headers, probes):
    answers = {}
    for name, method, path, body in probes:
        response = await client.request(method, path, json=body, headers=headers)
        answers[name] = (response.status_code, response.json()["error"]["code"])
    return answers


async def test_a_bound_key_gets_what_its_customers_admin_gets_and_no_more(
    notify_client, notify_minter, notify_connection
):
    ids = await _seed(notify_client, notify_minter, notify_connection)
    staff_only, others, unknown = _probes(ids)
    seen = {}
    for who, headers_of in CUSTOMER_SIDE.items():
        headers = headers_of(notify_minter)
        denied = await _answers(notify_client, headers, staff_only)
        hidden = await _answers(notify_client, headers, others)
        missing = await _answers(notify_client, headers, unknown)
        endpoints = (await notify_client.get("/v1/webhook-endpoints", headers=headers)).json()
        deliveries = (await notify_client.get("/v1/deliveries", headers=headers)).json()
        filtered = await notify_client.get(
            "/v1/deliveries", params={"customer_id": str(BOREALIS)}, headers=headers
        )
        recovered = await notify_client.post(
            "/v1/deliveries/recover",
            json={"since": "2000-01-01T00:00:00Z", "endpoint_id": ids["borealis"]},
            headers=headers,
        )
        own = await notify_client.get(f"/v1/deliveries/{ids['delivery:acme']}", headers=headers)
        seen[who] = (denied, hidden, missing)

        assert all(code == 403 for code, _ in denied.values()), (who, denied)
        assert all(code == 404 for code, _ in hidden.values()), (who, hidden)
        # Another tenant's record answers exactly as one that does not exist.
        for kind in ("endpoint", "delivery"):
            codes = {code for name, (_, code) in hidden.items() if name.endswith(kind)}
            assert codes == {missing[f"read unknown {kind}"][1]}, (who, kind, codes)
        assert [e["id"] for e in endpoints["items"]] == [ids["acme"]], who
        assert {d["id"] for d in deliveries["items"]} == {ids["delivery:acme"]}, who
        assert filtered.json()["total"] == 0, who
        assert recovered.status_code == 200 and recovered.json()["requeued"] == 0, who
        assert own.status_code == 200, who
    for who, headers_of in CUSTOMER_SIDE.items():
        # Registering "for Borealis" registers for the caller's own customer.
        for_other = await notify_client.post(
            "/v1/webhook-endpoints",
            json={"url": f"{HOOK}/{who}", "event_types": ["*"], "customer_id": str(BOREALIS)},
            headers=headers_of(notify_minter),
        )
        assert for_other.status_code == 201, for_other.text
        assert for_other.json()["customer_id"] == str(ACME), who
    assert seen["bound key"] == seen["customer admin"]

    # The records survived every attempt above.
    endpoint = await notify_client.get(
        f"/v1/webhook-endpoints/{ids['borealis']}", headers=staff(notify_minter)
    )
    assert endpoint.json()["url"] == f"{HOOK}/borealis"
    # The recovery the customers could not reach is there for staff.
    recovered = await notify_client.post(
        "/v1/deliveries/recover",
        json={"since": "2000-01-01T00:00:00Z", "endpoint_id": ids["borealis"]},
        headers=staff(notify_minter),
    )
    assert recovered.json()["requeued"] == 1


async def test_vendor_keys_manage_every_endpoint_but_no_staff_resource(
    notify_client, notify_minter, notify_connection
):
    ids = await _seed(notify_client, notify_minter, notify_connection)
    vendor = notify_minter.headers(Role.INTEGRATION, scope="notify:write")
    made = await notify_client.post(
        "/v1/webhook-endpoints", json={"url": f"{HOOK}/crm", "event_types": ["*"]}, headers=vendor
    )
    assert made.status_code == 201 and made.json()["customer_id"] is None
    listed = await notify_client.get("/v1/webhook-endpoints", headers=vendor)
    assert listed.json()["total"] == 4
    for owner in ("global", "borealis", "acme"):
        read = await notify_client.get(f"/v1/webhook-endpoints/{ids[owner]}", headers=vendor)
        assert read.status_code == 200
        delivery = await notify_client.get(
            f"/v1/deliveries/{ids[f'delivery:{owner}']}", headers=vendor
        )
        assert delivery.status_code == 200
    staff_only, _, _ = _probes(ids)
    denied = await _answers(notify_client, vendor, staff_only)
    assert all(code == 403 for code, _ in denied.values()), denied


@pytest.mark.parametrize(
    ("role", "customer", "scope"),
    [
        (Role.CONTACT, ACME, None),  # a plain contact manages no webhooks
        (Role.INTEGRATION, ACME, ""),  # a key without scopes only reads
        (Role.INTEGRATION, ACME, "notify:read"),
        (Role.INTEGRATION, ACME, "tickets:write"),  # another service's scope
        (Role.SERVICE, None, None),
    ],
)
async def test_who_may_not_register_webhooks(notify_client, notify_minter, role, customer, scope):
    claims = {} if scope is None else {"scope": scope}
    headers = notify_minter.headers(role, customer_id=customer, **claims)
    answer = await notify_client.post(
        "/v1/webhook-endpoints", json={"url": HOOK, "event_types": ["*"]}, headers=headers
    )
    assert answer.status_code == 403, answer.text
    assert answer.json()["error"]["code"] in ("ROLE_FORBIDDEN", "SCOPE_FORBIDDEN")


async def test_a_bound_key_manages_its_customers_contacts_preferences_only(
    live_notify, contracts_transport, demo_contacts, notify_minter
):
    ana, ben = demo_contacts["ana@acme-water.example"], demo_contacts["ben@borealis.example"]
    acme_key = notify_minter.headers(
        Role.INTEGRATION, customer_id=ana["customer_id"], scope="notify:write"
    )
    vendor = notify_minter.headers(Role.INTEGRATION, scope="notify:write")
    async with (
        live_notify(contracts_transport=contracts_transport) as app,
        asgi_client(app) as client,
    ):
        own = await client.put(
            f"/v1/contacts/{ana['id']}/preferences",
            json={"opted_out": ["surveys"]},
            headers=acme_key,
        )
        other = await client.get(f"/v1/contacts/{ben['id']}/preferences", headers=acme_key)
        unknown = await client.get(f"/v1/contacts/{uuid.uuid4()}/preferences", headers=acme_key)
        by_vendor = await client.get(f"/v1/contacts/{ana['id']}/preferences", headers=vendor)
    assert own.status_code == 200 and own.json()["opted_out"] == ["surveys"]
    assert other.status_code == 404
    assert (other.status_code, other.json()["error"]["code"]) == (
        unknown.status_code,
        unknown.json()["error"]["code"],
    )
    assert by_vendor.status_code == 403
