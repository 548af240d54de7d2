"""How many calls the gateway makes to the services for one GraphQL query, counted at the
gateway's own clients (every request it sends to tickets or contracts passes a
``RecordingTransport``), against the real services in-process on real PostgreSQL.

The goal of docs/performance.md: a page of 50 cases with customer, contact, plan and clocks
costs at most 5 calls, whatever the number of cases on it (it was one call per case, for its
clocks). Each kind of record a page reaches is asked for once for the whole page; the cases
come whole from the list itself when the query asks for more than their list rows hold.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from careplane_shared.testing import TokenBox
from careplane_shared.testing.graphql import data_of, graphql, only_error
from careplane_shared.testing.transport import RecordingTransport, SerialTransport

from .conftest import ContractsDemo, TicketsGatewayFactory

AGENT = "agent@example.com"
ANA = "ana@acme-water.example"  # Acme Water, InfoCare
CORA = "cora@cobalt.example"  # Cobalt Logistics, Invantive Subscription

PAGE = """query Page($first: Int) {
  tickets(first: $first) { edges { node { number customer { name } contact { email }
  plan { name } sla { metric dueAt } } } }
}"""
OPEN = """mutation Open($input: OpenTicketInput!) { openTicket(input: $input) { id number } }"""
CLOCKS = """query Clocks($number: String!) { ticket(number: $number) { sla { metric dueAt } } }"""
TWO_BY_ID = """query Two($a: ID!, $b: ID!) {
  a: ticketById(id: $a) { number sla { metric } }
  b: ticketById(id: $b) { number sla { metric } }
}"""

ONE_BY_ID = """query One($b: ID!) { b: ticketById(id: $b) { number sla { metric } } }"""

MAX_CALLS_PER_PAGE = 5


@dataclass
class Desk:
    """The gateway over the in-process tickets and contracts, with the calls it makes to each
    (tickets' own calls to contracts share the lock of the same transport, unrecorded)."""

    client: httpx.AsyncClient
    tickets: RecordingTransport
    contracts: RecordingTransport
    tokens: TokenBox

    def calls(self) -> Counter[str]:
        """The calls made since the last ``clear``, as ``"service /path"``."""
        return Counter(
            [f"tickets {path}" for path in self.tickets.paths]
            + [f"contracts {path}" for path in self.contracts.paths]
        )

    def clear(self) -> None:
        self.tickets.clear()
        self.contracts.clear()

    async def query(self, token: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        """The query's data, counting only its own calls."""
        self.clear()
        data: dict[str, Any] = await data_of(self.client, token, query, variables)
        return data

    async def open_cases(self, email: str, product_id: str, count: int) -> list[dict[str, Any]]:
        """``count`` cases opened by ``email``."""
        token = await self.tokens(email)
        case = {
            "productId": product_id,
            "version": "3.1",
            "subject": "Model run stops at 42%",
            "description": "The hydraulic run stops with error E-1042.",
        }
        return [
            (await data_of(self.client, token, OPEN, {"input": case}))["openTicket"]
            for _ in range(count)
        ]


@pytest.fixture
async def desk(
    start_tickets_gateway: TicketsGatewayFactory,
    tickets_app: FastAPI,
    contracts_serial_transport: SerialTransport,
    contracts_demo: ContractsDemo,
) -> AsyncIterator[Desk]:
    tickets = RecordingTransport(SerialTransport.to(tickets_app))
    contracts = RecordingTransport(contracts_serial_transport)
    async with start_tickets_gateway(tickets, contracts_transport=contracts) as client:
        yield Desk(client, tickets, contracts, TokenBox(client))


def per_case_reads(calls: Counter[str]) -> list[str]:
    """Calls that read one case by its path (``/v1/tickets/{id}``)."""
    return [
        call for call in calls if call.startswith("tickets /v1/tickets/") and "batch" not in call
    ]


async def test_a_page_of_50_cases_costs_at_most_5_calls_whatever_its_size(
    desk: Desk, contracts_demo: ContractsDemo
) -> None:
    await desk.open_cases(CORA, contracts_demo.product_id, 48)
    await desk.open_cases(ANA, contracts_demo.product_id, 2)
    agent = await desk.tokens(AGENT)

    page = await desk.query(agent, PAGE, {"first": 50})
    calls = desk.calls()
    small = await desk.query(agent, PAGE, {"first": 2})
    calls_small = desk.calls()

    nodes = [edge["node"] for edge in page["tickets"]["edges"]]
    assert len({node["number"] for node in nodes}) == 50
    seen = Counter(
        (node["customer"]["name"], node["contact"]["email"], node["plan"]["name"]) for node in nodes
    )
    assert seen == {
        ("Cobalt Logistics", CORA, "Invantive Subscription"): 48,
        ("Acme Water", ANA, "InfoCare"): 2,
    }
    assert all(node["sla"] for node in nodes)
    # The clocks a page answers are those the case answers read alone.
    for node in (nodes[0], nodes[-1]):
        alone = await desk.query(agent, CLOCKS, {"number": node["number"]})
        assert alone["ticket"]["sla"] == node["sla"]

    assert sum(calls.values()) <= MAX_CALLS_PER_PAGE, calls
    assert per_case_reads(calls) == [], calls
    # Each kind of record once for the whole page: the cases (whole, with their clocks),
    # their customers, the customers' contacts, the plans.
    assert calls == {
        "tickets /v1/tickets": 1,
        "contracts /v1/customers": 1,
        "contracts /v1/contacts": 1,
        "contracts /v1/plans": 1,
    }
    # A page of 2 makes the same calls as a page of 50.
    assert len(small["tickets"]["edges"]) == 2
    assert calls_small == calls


async def test_a_page_asks_for_whole_cases_only_when_its_query_needs_them(
    desk: Desk, contracts_demo: ContractsDemo
) -> None:
    await desk.open_cases(CORA, contracts_demo.product_id, 3)
    agent = await desk.tokens(AGENT)
    # Every field of a case that its list row lacks, some through a fragment.
    whole = """fragment Terms on Ticket { planCode plan { name } billable entitlement { phase } }
    { tickets(first: 3) { nodes { number description channel errorCode errorMessage
      stepsToReproduce externalRefs { system } createdAt closedAt resolution
      sla { metric } ...Terms } } }"""
    summary = "{ tickets(first: 3) { edges { node { number status customer { name } } } } }"

    full = await desk.query(agent, whole, {})
    whole_calls = list(desk.tickets.requests)
    rows = await desk.query(agent, summary, {})
    summary_calls = list(desk.tickets.requests)

    assert len(full["tickets"]["nodes"]) == 3
    assert all(node["sla"] and node["plan"] for node in full["tickets"]["nodes"])
    assert len(rows["tickets"]["edges"]) == 3
    [listed] = whole_calls
    assert (listed.url.path, listed.url.params.get("include")) == ("/v1/tickets", "sla")
    [listed] = summary_calls
    assert (listed.url.path, listed.url.params.get("include")) == ("/v1/tickets", None)


async def test_cases_read_together_answer_as_each_read_alone(
    desk: Desk, contracts_demo: ContractsDemo
) -> None:
    [cobalt] = await desk.open_cases(CORA, contracts_demo.product_id, 1)
    [acme] = await desk.open_cases(ANA, contracts_demo.product_id, 1)
    agent, cora = await desk.tokens(AGENT), await desk.tokens(CORA)

    both = await desk.query(agent, TWO_BY_ID, {"a": cobalt["id"], "b": acme["id"]})
    assert (both["a"]["number"], both["b"]["number"]) == (cobalt["number"], acme["number"])
    assert all(both[key]["sla"] for key in ("a", "b"))
    assert desk.calls() == {"tickets /v1/tickets/batch": 1}

    desk.clear()
    # Acme's case is not Cora's to see: read with another it fails as it does read alone.
    together = await graphql(desk.client, cora, TWO_BY_ID, {"a": cobalt["id"], "b": acme["id"]})
    assert desk.calls() == {"tickets /v1/tickets/batch": 1}
    alone = await graphql(desk.client, cora, ONE_BY_ID, {"b": acme["id"]})
    assert together["data"] == {"a": both["a"], "b": None}
    assert alone["data"] == {"b": None}
    assert told(only_error(together)) == told(only_error(alone))
    assert only_error(alone)["extensions"]["code"] == "TICKET_NOT_FOUND"


def told(error: dict[str, Any]) -> dict[str, Any]:
    """What an error says, without where in the query text it points."""
    return {key: error[key] for key in ("message", "path", "extensions")}


async def test_each_call_carries_the_callers_token_and_request_id(
    desk: Desk, contracts_demo: ContractsDemo
) -> None:
    [opened] = await desk.open_cases(CORA, contracts_demo.product_id, 1)
    cora = await desk.tokens(CORA)
    desk.clear()

    body = await graphql(
        desk.client,
        cora,
        "query($id: ID!) { ticketById(id: $id) { number customer { name } } }",
        {"id": opened["id"]},
        headers={"x-request-id": "trace-graphql-1"},
    )

    assert body["data"]["ticketById"] == {
        "number": opened["number"],
        "customer": {"name": "Cobalt Logistics"},
    }
    sent = desk.tickets.requests + desk.contracts.requests
    assert [request.url.path for request in sent] == [
        f"/v1/tickets/{opened['id']}",
        "/v1/customers",
    ]
    for request in sent:
        assert request.headers["authorization"] == f"Bearer {cora}"
        assert request.headers["x-request-id"] == "trace-graphql-1"
        assert request.headers["accept"] == "application/json"
