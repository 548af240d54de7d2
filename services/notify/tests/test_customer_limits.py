"""How many webhook endpoints and chat channels one customer may have: one more answers 409
with a stable code, another customer and the global ones (of no customer) are not counted,
and removing one gives its place back. The real app on a rolled-back transaction."""

from __future__ import annotations

import uuid

from notify_testkit import staff

from careplane_shared.auth import Role

HOOK = "https://crm.example.com/hook"


async def test_a_customer_has_a_bounded_number_of_webhook_endpoints(
    notify_app, notify_client, notify_minter
):
    acme, borealis = uuid.uuid4(), uuid.uuid4()
    limit = notify_app.state.settings.max_webhook_endpoints_per_customer
    admin = notify_minter.headers(Role.CUSTOMER_ADMIN, customer_id=acme)

    async def register(headers: dict[str, str], **body: str):
        return await notify_client.post(
            "/v1/webhook-endpoints",
            json={"url": f"{HOOK}/{uuid.uuid4()}", "event_types": ["*"], **body},
            headers=headers,
        )

    made = []
    for _ in range(limit):
        answer = await register(admin)
        assert answer.status_code == 201, answer.text
        made.append(answer.json()["id"])
    over = await register(admin)
    # Staff registering one more for the same customer is refused too.
    over_by_staff = await register(staff(notify_minter), customer_id=str(acme))
    # Another customer, and a global endpoint, are not counted against Acme.
    other = await register(staff(notify_minter), customer_id=str(borealis))
    global_one = await register(staff(notify_minter))

    for answer in (over, over_by_staff):
        assert answer.status_code == 409, answer.text
        assert answer.json()["error"]["code"] == "WEBHOOK_ENDPOINT_LIMIT_REACHED"
        assert answer.json()["error"]["details"] == {"limit": limit}
    assert other.status_code == 201, other.text
    assert global_one.status_code == 201, global_one.text

    # Deleting one gives its place back.
    deleted = await notify_client.delete(f"/v1/webhook-endpoints/{made[0]}", headers=admin)
    assert deleted.status_code == 204, deleted.text
    again = await register(admin)
    assert again.status_code == 201, again.text


async def test_a_customer_has_a_bounded_number_of_chat_channels(
    notify_app, notify_client, notify_minter
):
    acme, borealis = uuid.uuid4(), uuid.uuid4()
    limit = notify_app.state.settings.max_chat_channels_per_customer

    async def connect(customer: uuid.UUID | None):
        body = {"kind": "slack", "name": "#s", "webhook_url": HOOK, "event_types": ["*"]}
        if customer is not None:
            body["customer_id"] = str(customer)
        return await notify_client.post(
            "/v1/chat-channels", json=body, headers=staff(notify_minter)
        )

    made = []
    for _ in range(limit):
        answer = await connect(acme)
        assert answer.status_code == 201, answer.text
        made.append(answer.json()["id"])
    over = await connect(acme)
    other = await connect(borealis)
    global_one = await connect(None)

    assert over.status_code == 409, over.text
    assert over.json()["error"]["code"] == "CHAT_CHANNEL_LIMIT_REACHED"
    assert over.json()["error"]["details"] == {"limit": limit}
    assert other.status_code == 201, other.text
    assert global_one.status_code == 201, global_one.text

    deleted = await notify_client.delete(
        f"/v1/chat-channels/{made[0]}", headers=staff(notify_minter)
    )
    assert deleted.status_code == 204, deleted.text
    assert (await connect(acme)).status_code == 201
