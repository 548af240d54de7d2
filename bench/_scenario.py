"""What the stack bench prepares through the public APIs before it measures: callers,
the case it opens, the webhook the fan-out delivers to, and the database queries that
say how far the fan-out is behind.

The gateway's request limits stay as a deployment has them (per principal
``20/second;600/minute`` unless ``GATEWAY_RATE_LIMIT_PER_PRINCIPAL`` says otherwise).
A load is spread over ``KEYS`` vendor integration keys, the way many integrations would
send it, so that no caller goes over its limit: every request still passes the limiter.
Setup calls go to the services directly, where they meet no gateway limit.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

import asyncpg
import httpx
from _harness import Sinks, Stack

KEYS = 96
KEY_SCOPES = ["tickets:write", "contracts:read"]
DEMO_PASSWORD = "careplane"

OPEN_MUTATION = """
mutation Open($input: OpenTicketInput!) {
  openTicket(input: $input) { id number status }
}
"""
READ_QUERY = """
query Read($number: String!) {
  ticket(number: $number) { id number status priority subject description receivedAt }
}
"""
PAGE_QUERY = """
{ tickets(first: 50) { edges { node { number customer { name } contact { email }
  plan { name } sla { metric dueAt } } } } }
"""


@dataclass
class Scenario:
    gateway: str
    tickets: str
    keys: list[str]  # "Bearer …" of each integration key, the load's callers
    agent: str  # "Bearer …" of the demo agent (staff)
    product_id: str
    contact_id: str  # Cora's, of Cobalt Logistics (Invantive Subscription, unlimited)
    webhook_id: str

    def open_fields(self) -> dict[str, object]:
        return {
            "product_id": self.product_id,
            "contact_id": self.contact_id,
            "version": "3.1",
            "subject": "Model run stops at 80 %",
            "description": "The hydraulic model stops at 80 % with error E-102.",
            "priority": "III",
        }

    def open_rest_body(self) -> str:
        return json.dumps(self.open_fields())

    def open_graphql_body(self) -> str:
        fields = self.open_fields()
        variables = {
            "input": {
                "productId": fields["product_id"],
                "contactId": fields["contact_id"],
                "version": fields["version"],
                "subject": fields["subject"],
                "description": fields["description"],
                "priority": fields["priority"],
            }
        }
        return json.dumps({"query": OPEN_MUTATION, "variables": variables})

    @staticmethod
    def read_graphql_body(number: str) -> str:
        return json.dumps({"query": READ_QUERY, "variables": {"number": number}})

    @staticmethod
    def page_body() -> str:
        return json.dumps({"query": PAGE_QUERY})


async def _token(client: httpx.AsyncClient, contracts: str, form: dict[str, str]) -> str:
    response = await client.post(f"{contracts}/auth/token", data=form)
    response.raise_for_status()
    return f"Bearer {response.json()['access_token']}"


async def _sign_in(client: httpx.AsyncClient, contracts: str, email: str) -> str:
    form = {"grant_type": "password", "username": email, "password": DEMO_PASSWORD}
    return await _token(client, contracts, form)


async def _integration_key(
    client: httpx.AsyncClient, contracts: str, admin: str, n: int, gate: asyncio.Semaphore
) -> str:
    async with gate:
        created = await client.post(
            f"{contracts}/v1/api-keys",
            json={"name": f"bench load {n}", "scopes": KEY_SCOPES},
            headers={"Authorization": admin},
        )
        created.raise_for_status()
        key = created.json()
        form = {
            "grant_type": "client_credentials",
            "client_id": key["client_id"],
            "client_secret": key["client_secret"],
        }
        return await _token(client, contracts, form)


async def prepare(stack: Stack, sinks: Sinks, *, keys: int = KEYS) -> Scenario:
    """Integration keys and their tokens, the demo agent's token, Cora's contact and the
    product, and one webhook for ``ticket.opened`` registered by Cora (Cobalt's
    administrator) through the gateway's REST API, pointing at the local receiver."""
    contracts, gateway = stack.url("contracts"), stack.url("gateway")
    async with httpx.AsyncClient(timeout=30) as client:
        admin = await _sign_in(client, contracts, "admin@example.com")
        agent = await _sign_in(client, contracts, "agent@example.com")
        cora = await _sign_in(client, contracts, "cora@cobalt.example")
        me = (await client.get(f"{contracts}/v1/me", headers={"Authorization": cora})).json()
        products = await client.get(f"{contracts}/v1/products", headers={"Authorization": cora})
        products.raise_for_status()
        gate = asyncio.Semaphore(8)
        tokens = await asyncio.gather(
            *(_integration_key(client, contracts, admin, n, gate) for n in range(keys))
        )
        webhook = await client.post(
            f"{gateway}/api/notify/v1/webhook-endpoints",
            json={"url": sinks.webhook_url, "event_types": ["ticket.opened"]},
            headers={"Authorization": cora},
        )
        webhook.raise_for_status()
    return Scenario(
        gateway=gateway,
        tickets=stack.url("tickets"),
        keys=list(tokens),
        agent=agent,
        product_id=products.json()[0]["id"],
        contact_id=me["id"],
        webhook_id=webhook.json()["id"],
    )


@dataclass
class Backlog:
    """How far the fan-out is behind the cases opened since a baseline."""

    opened: int  # cases in tickets' database
    relay_pending: int  # tickets' outbox rows not yet handed to contracts or notify
    deliveries_pending: int  # notify's deliveries not yet settled (pending, delivering)
    mails: int  # received by the SMTP sink
    webhooks: int  # received by the webhook receiver
    entitlement_pending: int  # cases accepted while contracts could not answer

    def behind(self, since: Backlog) -> tuple[int, int]:
        """Case-number mails and webhooks still owed for the cases opened since ``since``."""
        opened = self.opened - since.opened
        return opened - (self.mails - since.mails), opened - (self.webhooks - since.webhooks)

    def caught_up(self, since: Backlog) -> bool:
        return max(self.behind(since)) <= 0

    def describe(self, since: Backlog) -> str:
        mails, hooks = self.behind(since)
        return (
            f"{mails} case-number mails and {hooks} webhooks still owed for "
            f"{self.opened - since.opened} cases; tickets' outbox {self.relay_pending} rows "
            f"unsent, notify {self.deliveries_pending} deliveries unsettled; "
            f"{self.entitlement_pending - since.entitlement_pending} cases with their "
            "entitlement pending"
        )


async def _scalar(url: str, query: str) -> int:
    connection = await asyncpg.connect(url)
    try:
        return int(await connection.fetchval(query))
    finally:
        await connection.close()


async def backlog(stack: Stack, sinks: Sinks) -> Backlog:
    tickets, notify = stack.server_url("careplane_tickets"), stack.server_url("careplane_notify")
    counts = await asyncio.to_thread(sinks.counts)
    opened, pending, relay, deliveries = await asyncio.gather(
        _scalar(tickets, "SELECT count(*) FROM tickets"),
        _scalar(tickets, "SELECT count(*) FROM tickets WHERE entitlement_status = 'pending'"),
        _scalar(tickets, "SELECT count(*) FROM outbox_events WHERE delivered_at IS NULL"),
        _scalar(
            notify, "SELECT count(*) FROM deliveries WHERE status IN ('pending', 'delivering')"
        ),
    )
    return Backlog(opened, relay, deliveries, counts["mails"], counts["webhooks"], pending)
