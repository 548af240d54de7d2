"""The notify part of the GraphQL schema, through ``/graphql`` with real tokens from contracts,
against the real notify and contracts services (in-process) on real PostgreSQL with the demo
data; webhooks go to a real receiver on 127.0.0.1 and are checked with the
``standardwebhooks`` package, as a customer's receiver would check them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection
from standardwebhooks.webhooks import Webhook
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from careplane_shared.testing import bearer, password_token, serve_on_loopback
from careplane_shared.testing.graphql import data_of, error_code
from careplane_shared.testing.transport import SerialTransport
from contracts.config import ContractsSettings
from notify.channels.registry import build_channels
from notify.deliveries.worker import DeliveryWorker

from .conftest import ContractsDemo, NotifyFactory, NotifyGatewayFactory

ADMIN = "admin@example.com"
ANA = "ana@acme-water.example"  # customer administrator, Acme Water
BEN = "ben@borealis.example"  # a contact, not an administrator
CORA = "cora@cobalt.example"  # customer administrator, Cobalt Logistics

ENDPOINT = "id url eventTypes secret customerId customer { name } enabled createdBy"

REGISTER = f"""
mutation Register($url: String!, $eventTypes: [String!]!, $customerId: ID) {{
  registerWebhook(url: $url, eventTypes: $eventTypes, customerId: $customerId) {{ {ENDPOINT} }}
}}
"""

ENDPOINTS = f"""
query Endpoints($first: Int, $after: String) {{
  webhookEndpoints(first: $first, after: $after) {{
    totalCount nodes {{ {ENDPOINT} }} pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""

ROTATE = """
mutation Rotate($id: ID!) {
  rotateWebhookSecret(id: $id) { id secret previousSecretExpiresAt }
}
"""

DELIVERY = """
  id channel target endpointId customerId eventId eventType status attemptCount
  lastStatusCode lastError deliveredAt
"""

DELIVERIES = f"""
query Deliveries($filter: DeliveryFilter, $first: Int) {{
  deliveries(filter: $filter, first: $first) {{ totalCount nodes {{ {DELIVERY} }} }}
}}
"""

ONE_DELIVERY = f"""
query Delivery($id: ID!) {{
  delivery(id: $id) {{
    {DELIVERY}
    payload
    endpoint {{ id url secret }}
    attempts {{ attempt outcome statusCode durationMs error }}
  }}
}}
"""


# -- helpers ----------------------------------------------------------------------------------


class Receiver:
    """A customer's webhook receiver on 127.0.0.1: keeps every request, answers 200."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []

    def app(self) -> Starlette:
        async def receive(request: Request) -> Response:
            self.requests.append((dict(request.headers), await request.body()))
            return Response(status_code=200)

        return Starlette(routes=[Route("/{path:path}", receive, methods=["POST"])])


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    target = Receiver()
    async with serve_on_loopback(target.app()) as url:
        yield target, url


@pytest.fixture
async def notify_app(start_notify: NotifyFactory) -> AsyncIterator[FastAPI]:
    async with start_notify() as app:
        yield app


@pytest.fixture
async def client(
    start_notify_gateway: NotifyGatewayFactory,
    notify_app: FastAPI,
    contracts_demo: ContractsDemo,
) -> AsyncIterator[httpx.AsyncClient]:
    async with start_notify_gateway(SerialTransport.to(notify_app)) as client:
        yield client


@pytest.fixture
async def tokens(client: httpx.AsyncClient) -> dict[str, str]:
    """Tokens from the gateway's own ``/auth/token``."""
    return {email: await password_token(client, email) for email in (ADMIN, ANA, BEN, CORA)}


async def post_event(
    client: httpx.AsyncClient,
    contracts_settings: ContractsSettings,
    event_type: str,
    customer_id: str,
    **data: Any,
) -> dict[str, Any]:
    """An event into notify's inbox, as tickets' outbox relay posts it: with a service token
    from contracts' client_credentials grant, here through the gateway's REST routing.
    ``data`` is added to (or replaces) the event's case data."""
    secret = contracts_settings.service_clients["svc-tickets"]
    grant = await client.post(
        "/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "svc-tickets",
            "client_secret": secret,
        },
    )
    assert grant.status_code == 200, grant.text
    event = {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": "tickets",
        "type": event_type,
        "subject": "CS-2026-000042",
        "time": datetime.now(UTC).isoformat(),
        "data": {
            "ticket_id": str(uuid.uuid4()),
            "number": "CS-2026-000042",
            "customer_id": customer_id,
            "status": "OPEN",
            "priority": "HIGH",
            "subject": "Pump station telemetry stopped",
            "language": "en",
            **data,
        },
    }
    accepted = await client.post(
        "/api/notify/v1/events", json=event, headers=bearer(grant.json()["access_token"])
    )
    assert accepted.status_code == 202, accepted.text
    return event


async def deliver_due(notify_app: FastAPI, connection: AsyncConnection) -> int:
    """One round of notify's delivery worker, on the test's transaction as notify's requests
    are (the app's own worker was made, in its lifespan, with the engine's sessions). In that
    transaction PostgreSQL's now() stands still at its start: a delivery queued for "now" by
    the clock would never come due, so every pending one is made due first."""
    await connection.execute(
        text("UPDATE deliveries SET next_attempt_at = now() WHERE status = 'pending'")
    )
    worker = DeliveryWorker(
        notify_app.state.database.sessionmaker,
        build_channels(notify_app.state.channel_services),
        notify_app.state.settings,
    )
    return await worker.run_once()


# -- webhook endpoints ------------------------------------------------------------------------


async def test_a_registered_endpoints_secret_is_shown_once_and_signs_its_webhooks(
    client: httpx.AsyncClient,
    tokens: dict[str, str],
    notify_app: FastAPI,
    receiver: tuple[Receiver, str],
    contracts_demo: ContractsDemo,
    gateway_contracts_settings: ContractsSettings,
    notify_connection: AsyncConnection,
) -> None:
    target, url = receiver
    acme = contracts_demo.customers["Acme Water"]

    registered = (
        await data_of(
            client,
            tokens[ANA],
            REGISTER,
            {"url": f"{url}/hooks", "eventTypes": ["ticket.opened", "ticket.closed"]},
        )
    )["registerWebhook"]
    listed = (await data_of(client, tokens[ANA], ENDPOINTS))["webhookEndpoints"]
    one = await data_of(
        client,
        tokens[ANA],
        "query One($id: ID!) { webhookEndpoint(id: $id) { id secret } }",
        {"id": registered["id"]},
    )

    secret = registered["secret"]
    assert secret.startswith("whsec_")
    # A customer administrator registers for its own customer, whatever it asks for.
    assert registered["customerId"] == acme
    assert registered["customer"] == {"name": "Acme Water"}
    assert registered["eventTypes"] == ["ticket.closed", "ticket.opened"]
    assert registered["enabled"] is True
    assert registered["createdBy"] == ANA
    assert listed["totalCount"] == 1
    assert listed["nodes"] == [{**registered, "secret": None}]
    assert one["webhookEndpoint"] == {"id": registered["id"], "secret": None}

    # An event for Acme becomes a webhook delivery to the endpoint, on record before it goes.
    event = await post_event(client, gateway_contracts_settings, "ticket.opened", acme)
    pending = (
        await data_of(client, tokens[ANA], DELIVERIES, {"filter": {"eventId": event["id"]}})
    )["deliveries"]
    assert pending["totalCount"] == 1
    [delivery] = pending["nodes"]
    assert delivery["channel"] == "WEBHOOK"
    assert delivery["endpointId"] == registered["id"]
    assert delivery["customerId"] == acme
    assert delivery["eventType"] == "ticket.opened"
    assert (delivery["status"], delivery["attemptCount"]) == ("PENDING", 0)

    assert await deliver_due(notify_app, notify_connection) == 1

    sent = (await data_of(client, tokens[ANA], ONE_DELIVERY, {"id": delivery["id"]}))["delivery"]
    assert sent["status"] == "SUCCEEDED"
    assert sent["attemptCount"] == 1
    assert sent["lastStatusCode"] == 200
    assert sent["deliveredAt"]
    assert sent["payload"]["data"]["number"] == "CS-2026-000042"
    assert sent["endpoint"] == {"id": registered["id"], "url": f"{url}/hooks", "secret": None}
    [attempt] = sent["attempts"]
    assert (attempt["attempt"], attempt["outcome"], attempt["statusCode"]) == (
        1,
        "succeeded",
        200,
    )
    assert attempt["error"] is None

    # The receiver checks the signature with the secret it was shown once.
    [(headers, body)] = target.requests
    assert headers["webhook-id"] == event["id"] == sent["eventId"]
    assert Webhook(secret).verify(body, headers)["data"]["number"] == "CS-2026-000042"


async def test_a_rotated_secret_signs_beside_the_old_one(
    client: httpx.AsyncClient,
    tokens: dict[str, str],
    notify_app: FastAPI,
    receiver: tuple[Receiver, str],
    contracts_demo: ContractsDemo,
    gateway_contracts_settings: ContractsSettings,
    notify_connection: AsyncConnection,
) -> None:
    target, url = receiver
    acme = contracts_demo.customers["Acme Water"]
    registered = (
        await data_of(
            client,
            tokens[ADMIN],
            REGISTER,
            {"url": f"{url}/crm", "eventTypes": ["*"], "customerId": acme},
        )
    )["registerWebhook"]

    rotated = (await data_of(client, tokens[ADMIN], ROTATE, {"id": registered["id"]}))[
        "rotateWebhookSecret"
    ]
    listed = (await data_of(client, tokens[ADMIN], ENDPOINTS))["webhookEndpoints"]["nodes"]

    assert rotated["id"] == registered["id"]
    assert rotated["secret"].startswith("whsec_")
    assert rotated["secret"] != registered["secret"]
    assert datetime.fromisoformat(rotated["previousSecretExpiresAt"]) > datetime.now(UTC)
    assert [node["secret"] for node in listed] == [None]

    # The staff's endpoint for Acme hears of Acme's events; during the overlap every webhook
    # verifies with either secret. A resend goes again with the same webhook-id.
    event = await post_event(client, gateway_contracts_settings, "ticket.closed", acme)
    assert await deliver_due(notify_app, notify_connection) == 1
    [delivery] = (
        await data_of(client, tokens[ADMIN], DELIVERIES, {"filter": {"eventId": event["id"]}})
    )["deliveries"]["nodes"]
    resent = (
        await data_of(
            client,
            tokens[ADMIN],
            "mutation Resend($id: ID!) { resendDelivery(id: $id) { id status } }",
            {"id": delivery["id"]},
        )
    )["resendDelivery"]
    assert resent == {"id": delivery["id"], "status": "PENDING"}
    assert await deliver_due(notify_app, notify_connection) == 1

    assert len(target.requests) == 2
    for headers, body in target.requests:
        assert headers["webhook-id"] == event["id"]
        assert Webhook(registered["secret"]).verify(body, headers)["type"] == "ticket.closed"
        assert Webhook(rotated["secret"]).verify(body, headers)["type"] == "ticket.closed"
    attempts = (await data_of(client, tokens[ADMIN], ONE_DELIVERY, {"id": delivery["id"]}))[
        "delivery"
    ]["attempts"]
    assert [a["outcome"] for a in attempts] == ["succeeded", "succeeded"]


async def test_endpoints_are_their_customers_own(
    client: httpx.AsyncClient, tokens: dict[str, str], receiver: tuple[Receiver, str]
) -> None:
    _, url = receiver
    anas = (
        await data_of(
            client, tokens[ANA], REGISTER, {"url": f"{url}/a", "eventTypes": ["ticket.opened"]}
        )
    )["registerWebhook"]

    coras_list = (await data_of(client, tokens[CORA], ENDPOINTS))["webhookEndpoints"]
    staff_list = (await data_of(client, tokens[ADMIN], ENDPOINTS))["webhookEndpoints"]

    assert coras_list["totalCount"] == 0
    assert [node["id"] for node in staff_list["nodes"]] == [anas["id"]]
    # Another customer's endpoint does not exist for Cora, whatever she tries.
    for query in (
        ROTATE,
        "mutation Delete($id: ID!) { deleteWebhookEndpoint(id: $id) }",
        "query One($id: ID!) { webhookEndpoint(id: $id) { id } }",
    ):
        assert (
            await error_code(client, tokens[CORA], query, {"id": anas["id"]})
        ) == "WEBHOOK_ENDPOINT_NOT_FOUND"
    # A contact who is not an administrator manages no webhooks; no token, nothing at all.
    assert (
        await error_code(
            client, tokens[BEN], REGISTER, {"url": f"{url}/b", "eventTypes": ["ticket.opened"]}
        )
    ) == "ROLE_FORBIDDEN"
    anonymous = await client.post("/graphql", json={"query": ENDPOINTS})
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "UNAUTHENTICATED"


async def test_an_endpoint_changes_and_goes_and_its_unsent_deliveries_can_be_recovered(
    client: httpx.AsyncClient,
    tokens: dict[str, str],
    receiver: tuple[Receiver, str],
    contracts_demo: ContractsDemo,
    gateway_contracts_settings: ContractsSettings,
) -> None:
    _, url = receiver
    acme = contracts_demo.customers["Acme Water"]
    started = datetime.now(UTC) - timedelta(seconds=1)
    endpoint = (
        await data_of(
            client, tokens[ANA], REGISTER, {"url": f"{url}/old", "eventTypes": ["ticket.opened"]}
        )
    )["registerWebhook"]

    updated = (
        await data_of(
            client,
            tokens[ANA],
            """mutation Update($id: ID!, $input: WebhookEndpointUpdateInput!) {
                 updateWebhookEndpoint(id: $id, input: $input) { url eventTypes enabled secret }
               }""",
            {
                "id": endpoint["id"],
                "input": {"url": f"{url}/new", "eventTypes": ["ticket.closed"], "enabled": False},
            },
        )
    )["updateWebhookEndpoint"]
    assert updated == {
        "url": f"{url}/new",
        "eventTypes": ["ticket.closed"],
        "enabled": False,
        "secret": None,
    }
    await data_of(
        client,
        tokens[ANA],
        """mutation Enable($id: ID!) {
             updateWebhookEndpoint(id: $id, input: {enabled: true}) { enabled }
           }""",
        {"id": endpoint["id"]},
    )
    event = await post_event(client, gateway_contracts_settings, "ticket.closed", acme)

    deleted = await data_of(
        client,
        tokens[ANA],
        "mutation Delete($id: ID!) { deleteWebhookEndpoint(id: $id) }",
        {"id": endpoint["id"]},
    )
    assert deleted == {"deleteWebhookEndpoint": endpoint["id"]}
    assert (
        await error_code(
            client,
            tokens[ANA],
            "query One($id: ID!) { webhookEndpoint(id: $id) { id } }",
            {"id": endpoint["id"]},
        )
    ) == "WEBHOOK_ENDPOINT_NOT_FOUND"

    # The delivery that had not gone yet stays on record, failed, its endpoint gone.
    failed = (
        await data_of(
            client,
            tokens[ANA],
            DELIVERIES,
            {"filter": {"eventId": event["id"], "status": "FAILED", "channel": "WEBHOOK"}},
        )
    )["deliveries"]["nodes"]
    assert [d["lastError"] for d in failed] == ["The webhook endpoint was deleted."]
    detail = (await data_of(client, tokens[ANA], ONE_DELIVERY, {"id": failed[0]["id"]}))["delivery"]
    assert detail["endpoint"] is None
    assert detail["attempts"] == []

    recovered = await data_of(
        client,
        tokens[ANA],
        """mutation Recover($since: DateTime!, $endpointId: ID) {
             recoverDeliveries(since: $since, endpointId: $endpointId, channel: WEBHOOK) {
               requeued
             }
           }""",
        {"since": started.isoformat(), "endpointId": endpoint["id"]},
    )
    assert recovered == {"recoverDeliveries": {"requeued": 1}}
    again = (await data_of(client, tokens[ANA], ONE_DELIVERY, {"id": failed[0]["id"]}))["delivery"]
    assert again["status"] == "PENDING"


async def test_unknown_ids_keep_notifys_codes(
    client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    unknown = str(uuid.uuid4())
    cases = [
        ("query D($id: ID!) { delivery(id: $id) { id } }", "DELIVERY_NOT_FOUND"),
        ("mutation R($id: ID!) { resendDelivery(id: $id) { id } }", "DELIVERY_NOT_FOUND"),
        ("mutation D($id: ID!) { deleteWebhookEndpoint(id: $id) }", "WEBHOOK_ENDPOINT_NOT_FOUND"),
        (ROTATE, "WEBHOOK_ENDPOINT_NOT_FOUND"),
        ("mutation C($id: ID!) { deleteChatChannel(id: $id) }", "CHAT_CHANNEL_NOT_FOUND"),
    ]
    for query, code in cases:
        assert await error_code(client, tokens[ADMIN], query, {"id": unknown}) == code, query
    # An id that is no id never reaches notify as a path.
    assert (
        await error_code(client, tokens[ADMIN], ROTATE, {"id": "../chat-channels"})
        == "VALIDATION_ERROR"
    )


async def test_urls_notify_will_not_post_to_are_refused(
    start_notify: NotifyFactory,
    start_notify_gateway: NotifyGatewayFactory,
    contracts_demo: ContractsDemo,
) -> None:
    async with (
        start_notify(allow_private_targets=False) as strict_notify,
        start_notify_gateway(SerialTransport.to(strict_notify)) as client,
    ):
        admin = await password_token(client, ADMIN)
        refused = {
            url: await error_code(
                client, admin, REGISTER, {"url": url, "eventTypes": ["ticket.opened"]}
            )
            for url in (
                "http://127.0.0.1:8080/hook",
                "http://10.1.2.3/hook",
                "http://localhost:9000/hook",
                "ftp://crm.example.com/hook",
                "https://user:password@crm.example.com/hook",
            )
        }
        bad_type = await error_code(
            client,
            admin,
            REGISTER,
            {"url": "https://crm.example.com/hook", "eventTypes": ["Ticket Opened"]},
        )
        chat = await error_code(
            client,
            admin,
            """mutation { createChatChannel(input: {tool: SLACK, name: "#support",
                 webhookUrl: "http://169.254.169.254/latest", eventTypes: ["sla.breached"]}) {
                 id } }""",
        )
        public = await data_of(
            client,
            admin,
            REGISTER,
            {"url": "https://crm.example.com/hook", "eventTypes": ["ticket.opened"]},
        )

    assert refused == {
        "http://127.0.0.1:8080/hook": "PRIVATE_TARGET",
        "http://10.1.2.3/hook": "PRIVATE_TARGET",
        "http://localhost:9000/hook": "PRIVATE_TARGET",
        "ftp://crm.example.com/hook": "UNSUPPORTED_SCHEME",
        "https://user:password@crm.example.com/hook": "INVALID_URL",
    }
    assert bad_type == "VALIDATION_ERROR"
    assert chat == "PRIVATE_TARGET"
    # Staff without a customer register for every customer's events.
    assert public["registerWebhook"]["customerId"] is None
    assert public["registerWebhook"]["secret"].startswith("whsec_")


# -- chat channels ----------------------------------------------------------------------------


async def test_staff_connect_and_disconnect_chat_channels(
    client: httpx.AsyncClient,
    tokens: dict[str, str],
    receiver: tuple[Receiver, str],
    contracts_demo: ContractsDemo,
) -> None:
    _, url = receiver
    acme = contracts_demo.customers["Acme Water"]
    created = (
        await data_of(
            client,
            tokens[ADMIN],
            """mutation Create($input: ChatChannelInput!) {
                 createChatChannel(input: $input) {
                   id tool name eventTypes customerId customer { name } enabled
                 }
               }""",
            {
                "input": {
                    "tool": "GOOGLE_CHAT",
                    "name": "Acme escalations",
                    "webhookUrl": f"{url}/chat",
                    "eventTypes": ["sla.breached", "ticket.escalated", "sla.breached"],
                    "customerId": acme,
                }
            },
        )
    )["createChatChannel"]
    listed = (
        await data_of(client, tokens[ADMIN], "{ chatChannels { totalCount nodes { id name } } }")
    )["chatChannels"]

    assert created["tool"] == "GOOGLE_CHAT"
    assert created["eventTypes"] == ["sla.breached", "ticket.escalated"]
    assert (created["customerId"], created["customer"]) == (acme, {"name": "Acme Water"})
    assert created["enabled"] is True
    assert listed == {"totalCount": 1, "nodes": [{"id": created["id"], "name": "Acme escalations"}]}
    # Chat channels are the vendor's: a customer's administrator manages none.
    assert (
        await error_code(client, tokens[ANA], "{ chatChannels { totalCount } }")
    ) == "ROLE_FORBIDDEN"

    deleted = await data_of(
        client,
        tokens[ADMIN],
        "mutation Delete($id: ID!) { deleteChatChannel(id: $id) }",
        {"id": created["id"]},
    )
    after = await data_of(client, tokens[ADMIN], "{ chatChannels { totalCount } }")

    assert deleted == {"deleteChatChannel": created["id"]}
    assert after == {"chatChannels": {"totalCount": 0}}
