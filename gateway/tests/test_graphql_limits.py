"""What one GraphQL operation may ask for (aliases, fields, cost) and who may look at the
schema, through the real gateway over the real tickets and contracts services (in-process,
real PostgreSQL). Every refusal comes before a single call reaches a service."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from careplane_gateway.config import GatewaySettings
from careplane_shared.settings import Environment
from careplane_shared.testing import bearer, password_token
from careplane_shared.testing.transport import RecordingTransport, SerialTransport

from .conftest import ContractsDemo, GatewayFactory, TicketsGatewayFactory

AGENT = "agent@example.com"
ANA = "ana@acme-water.example"

OPEN = """mutation Open($input: OpenTicketInput!) { openTicket(input: $input) { id } }"""

# Six fields that call a service per case: at first 200, 1 + 200 * 6 = 1201 calls at most.
PAGE = """query Page($first: Int) {
  tickets(first: $first) {
    totalCount
    nodes {
      number description channel sla { metric dueAt }
      customer { name } contact { email } product { name }
    }
  }
}"""


class Desk:
    """A gateway over the in-process tickets and contracts that counts every call the
    gateway makes to tickets."""

    def __init__(self, client: httpx.AsyncClient, tickets: RecordingTransport, token: str) -> None:
        self.client = client
        self.tickets = tickets
        self.token = token

    async def post(self, query: str, variables: Mapping[str, Any] | None = None) -> Any:
        response = await self.client.post(
            "/graphql",
            json={"query": query, "variables": dict(variables or {})},
            headers=bearer(self.token),
        )
        assert response.status_code == 200, response.text
        return response.json()


DeskFactory = Any


@pytest.fixture
def desk(
    start_tickets_gateway: TicketsGatewayFactory,
    tickets_app: FastAPI,
    contracts_demo: ContractsDemo,
) -> DeskFactory:
    @asynccontextmanager
    async def start(**settings: Any) -> AsyncIterator[Desk]:
        tickets = RecordingTransport(SerialTransport.to(tickets_app))
        async with start_tickets_gateway(tickets, **settings) as client:
            yield Desk(client, tickets, await password_token(client, AGENT))

    return start


def refusal(body: Mapping[str, Any], code: str) -> dict[str, Any]:
    assert body["data"] is None, body
    [error] = body["errors"]
    assert error["extensions"]["code"] == code, error
    return dict(error)


async def test_400_aliases_of_tickets_are_refused_before_any_call(desk: DeskFactory) -> None:
    many = "{ " + " ".join(f"t{i}: tickets(first: 1) {{ totalCount }}" for i in range(400)) + " }"
    few = "{ " + " ".join(f"t{i}: tickets(first: 1) {{ totalCount }}" for i in range(3)) + " }"
    async with desk() as gateway:
        refused = await gateway.post(many)
        calls_refused = list(gateway.tickets.paths)
        answered = await gateway.post(few)

    error = refusal(refused, "TOO_MANY_ALIASES")
    assert (error["extensions"]["aliases"], error["extensions"]["max_aliases"]) == (400, 30)
    assert calls_refused == []
    assert answered["data"] == {f"t{i}": {"totalCount": 0} for i in range(3)}
    assert gateway.tickets.paths == ["/v1/tickets"] * 3


async def test_with_aliases_allowed_the_cost_still_bounds_the_calls(desk: DeskFactory) -> None:
    many = "{ " + " ".join(f"t{i}: tickets(first: 1) {{ totalCount }}" for i in range(400)) + " }"
    async with desk(
        graphql_max_aliases=1000, graphql_max_fields=1000, graphql_max_cost=100
    ) as gateway:
        body = await gateway.post(many)

    error = refusal(body, "QUERY_TOO_COMPLEX")
    assert (error["extensions"]["cost"], error["extensions"]["max_cost"]) == (400, 100)
    assert gateway.tickets.paths == []


async def test_the_cost_follows_first_from_the_variables(
    desk: DeskFactory, contracts_demo: ContractsDemo
) -> None:
    async with desk(graphql_max_cost=1000) as gateway:
        ana = await password_token(gateway.client, ANA)
        opened = await gateway.client.post(
            "/graphql",
            json={
                "query": OPEN,
                "variables": {
                    "input": {
                        "productId": contracts_demo.product_id,
                        "version": "3.1",
                        "subject": "Model run stops",
                        "description": "E-1042 on the Riverside model.",
                    }
                },
            },
            headers=bearer(ana),
        )
        assert "errors" not in opened.json(), opened.text
        gateway.tickets.clear()
        too_big = await gateway.post(PAGE, {"first": 200})
        calls_refused = list(gateway.tickets.paths)
        by_default = await gateway.post(PAGE)  # 50 a page: 1 + 50 * 6
        small = await gateway.post(PAGE, {"first": 5})
        # Not ints as sent: 200.0 runs as 200 (coerced), "200" is measured at the worst.
        calls_before = len(gateway.tickets.paths)
        as_float = await gateway.post(PAGE, {"first": 200.0})
        as_text = await gateway.post(PAGE, {"first": "200"})
        calls_refused += gateway.tickets.paths[calls_before:]
        small_float = await gateway.post(PAGE, {"first": 5.0})

    assert refusal(too_big, "QUERY_TOO_COMPLEX")["extensions"]["cost"] == 1201
    assert refusal(as_float, "QUERY_TOO_COMPLEX")["extensions"]["cost"] == 1201
    assert refusal(as_text, "QUERY_TOO_COMPLEX")["extensions"]["cost"] == 1201
    assert calls_refused == []
    for answered in (by_default, small, small_float):
        assert "errors" not in answered, answered
        assert answered["data"]["tickets"]["totalCount"] == 1
    assert gateway.tickets.paths


async def test_a_measure_is_kept_for_the_values_it_read(desk: DeskFactory) -> None:
    # The same text again and again: each value of first is measured on its own, once, and
    # a query that reads no variable is measured once whatever they are.
    async with desk(graphql_max_cost=1000) as gateway:
        answers = [
            await gateway.post(PAGE, {"first": first})
            for first in (200, 5, 200, 5, 200.0, 5.0, 200)
        ]
        fixed = "query($s: String) { tickets(first: 100, filter: {search: $s}) { totalCount } }"
        plain = [await gateway.post(fixed, {"s": text}) for text in ("pump", "valve")]

    costs = [a["errors"][0]["extensions"].get("cost") if "errors" in a else None for a in answers]
    assert costs == [1201, None, 1201, None, 1201, None, 1201]
    assert all(a["data"]["tickets"]["totalCount"] == 0 for a in answers if "errors" not in a)
    assert [body["data"]["tickets"]["totalCount"] for body in plain] == [0, 0]


async def test_nested_lists_multiply(desk: DeskFactory) -> None:
    nested = """{ tickets(first: 100) {
      nodes { messages { ticket { messages { ticket { number } } } } }
    } }"""
    async with desk() as gateway:
        body = await gateway.post(nested)

    # tickets 1 + 100 cases * (messages 1 + 10 messages each * (ticket 1 + messages 1
    # + 10 messages each * ticket 1)), over the default 5000
    cost = 1 + 100 * (1 + 10 * (1 + 1 + 10 * 1))
    assert refusal(body, "QUERY_TOO_COMPLEX")["extensions"] == {
        "code": "QUERY_TOO_COMPLEX",
        "cost": cost,
        "max_cost": 5000,
    }
    assert gateway.tickets.paths == []


async def test_fields_are_counted_where_fragments_are_spread(desk: DeskFactory) -> None:
    # Each fragment spreads the one before twice: 2^40 fields, measured without walking them.
    fragments = ["fragment F0 on Query { me { email } }"] + [
        f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, 41)
    ]
    exploding = "{ ...F40 }\n" + "\n".join(fragments)
    twice = "{ ...Page ...Page } fragment Page on Query { tickets(first: 1) { totalCount } }"
    async with desk(graphql_max_fields=3) as gateway:
        exploded = await gateway.post(exploding)
        refused = await gateway.post(twice)

    assert refusal(exploded, "TOO_MANY_FIELDS")["extensions"]["fields"] == 2 * 2**40
    assert refusal(refused, "TOO_MANY_FIELDS")["extensions"]["fields"] == 4
    assert gateway.tickets.paths == []


async def test_introspection_is_on_in_the_test_profile_and_can_be_switched_off(
    start_gateway: GatewayFactory, admin_token: str
) -> None:
    schema = "{ __schema { queryType { name } } }"
    one_type = '{ __type(name: "Ticket") { name } }'
    async with start_gateway() as client:
        allowed = await client.post("/graphql", json={"query": schema}, headers=bearer(admin_token))
    async with start_gateway(graphql_introspection=False) as client:
        refused = [
            await client.post("/graphql", json={"query": query}, headers=bearer(admin_token))
            for query in (schema, one_type)
        ]
        typename = await client.post(
            "/graphql", json={"query": "{ __typename }"}, headers=bearer(admin_token)
        )

    assert allowed.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
    for response in refused:
        assert response.status_code == 200
        body = response.json()
        assert "data" not in body or body["data"] is None
        [error] = body["errors"]
        assert error["extensions"]["code"] == "INTROSPECTION_DISABLED"
    assert typename.json() == {"data": {"__typename": "Query"}}


async def test_outside_dev_no_introspection_graphiql_or_service_docs(
    start_gateway: GatewayFactory, admin_token: str
) -> None:
    async with start_gateway(env=Environment.PRODUCTION) as client:
        introspection = await client.post(
            "/graphql",
            json={"query": "{ __schema { queryType { name } } }"},
            headers=bearer(admin_token),
        )
        graphiql = await client.get("/graphql", headers={"accept": "text/html"})
        docs = await client.get("/api/contracts/docs")
    async with start_gateway(env=Environment.DEV) as client:
        dev_docs = await client.get("/api/contracts/openapi.json")
        dev_graphiql = await client.get("/graphql", headers={"accept": "text/html"})

    [error] = introspection.json()["errors"]
    assert error["extensions"]["code"] == "INTROSPECTION_DISABLED"
    assert graphiql.status_code == 404
    assert docs.status_code == 404
    assert dev_docs.status_code == 200
    assert dev_graphiql.status_code == 200


def test_the_defaults_by_profile() -> None:
    production = GatewaySettings(env="production", client_secret="not-the-dev-secret")
    dev = GatewaySettings(env="dev")
    test = GatewaySettings(env="test")

    assert (production.graphiql_enabled, production.introspection_enabled) == (False, False)
    assert production.service_docs_exposed is False
    assert (dev.graphiql_enabled, dev.introspection_enabled, dev.service_docs_exposed) == (
        True,
        True,
        True,
    )
    assert (test.graphiql_enabled, test.introspection_enabled) == (True, True)
    assert test.service_docs_exposed is False
    for limited in (production, dev):
        assert limited.principal_rate_limit == "20/second;600/minute"
        assert limited.address_rate_limit == "10/second;300/minute"
    assert (test.principal_rate_limit, test.address_rate_limit) == ("", "")
    with pytest.raises(ValueError, match="not a rate limit"):
        GatewaySettings(env="test", rate_limit_per_principal="lots")
    with pytest.raises(ValueError, match="not an IP address or network"):
        GatewaySettings(env="test", trusted_proxies=["10.0.0.0/33"])


async def test_the_limits_hold_for_operations_over_a_websocket(
    live_gateway_url: str, contracts_demo: ContractsDemo
) -> None:
    from .test_graphql_subscriptions import websocket

    async with httpx.AsyncClient(base_url=live_gateway_url) as http:
        token = await password_token(http, AGENT)
    many = "{ " + " ".join(f"m{i}: me {{ email }}" for i in range(40)) + " }"
    async with websocket(live_gateway_url, {"Authorization": token}) as socket:
        await socket.subscribe("many", many)
        refused = await socket.receive()

    assert refused["type"] == "error" and refused["id"] == "many", refused
    [error] = refused["payload"]
    assert error["extensions"]["code"] == "TOO_MANY_ALIASES"
