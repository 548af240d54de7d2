"""The tickets part of the GraphQL schema, through ``/graphql`` with real tokens from contracts,
against the real tickets and contracts services (in-process) on real PostgreSQL with the demo
data of docs/domain.md section 5. Where REST answers the same question, GraphQL is checked against
that answer (through the gateway's own ``/api/tickets`` route)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import graphql as graphql_core
import httpx
import pytest
from fastapi import FastAPI

from careplane_gateway.config import GatewaySettings
from careplane_gateway.graphql.schema import build_schema
from careplane_shared.testing import TokenBox, bearer, password_token
from careplane_shared.testing.graphql import data_of, graphql, only_error
from careplane_shared.testing.transport import RecordingTransport, SerialTransport

from .conftest import (
    ContractsDemo,
    TicketsFactory,
    TicketsGatewayFactory,
)

ADMIN = "admin@example.com"
AGENT = "agent@example.com"
ANA = "ana@acme-water.example"  # InfoCare, Acme Water (AMERICAS -> Broomfield)
BEN = "ben@borealis.example"  # InfraCare (administrators only), not an administrator
CORA = "cora@cobalt.example"  # Invantive Subscription, Cobalt Logistics (nl)
DAN = "dan@delta.example"  # Infotecs Basic + Premium

NUMBER = re.compile(r"CS-\d{4}-\d{6}")


# -- helpers ----------------------------------------------------------------------------------


def instant(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


@pytest.fixture
def client(
    gateway_tickets_client: httpx.AsyncClient, contracts_demo: ContractsDemo
) -> httpx.AsyncClient:
    return gateway_tickets_client


@pytest.fixture
def tokens(client: httpx.AsyncClient) -> TokenBox:
    return TokenBox(client)


CLOCK = """
  metric cycle priority targetMinutes businessTime startedAt dueAt stoppedAt
  pausedMinutes paused breached breachedAt explanation
"""

TICKET = f"""
  id number status priority subject receivedAt type channel language version
  description errorCode externalRefs {{ system reference }}
  customerId customer {{ name }} contactId contact {{ email }} productId product {{ name }}
  planCode plan {{ code }} supportCenter entitlementStatus nextDueAt closedAt resolution
  assigneeId entitlement {{ reasons phase scope billable planName }}
  sla {{ {CLOCK} }}
"""

OPEN = f"""mutation Open($input: OpenTicketInput!) {{
  openTicket(input: $input) {{ {TICKET} }}
}}"""

BY_NUMBER = f"""query Ticket($number: String!) {{
  ticket(number: $number) {{
    {TICKET}
    messages {{ body internal authorKind authorId automated }}
    history {{ kind fromValue toValue reason actorKind }}
  }}
}}"""


def case(contracts_demo: ContractsDemo, **extra: Any) -> dict[str, Any]:
    return {
        "productId": contracts_demo.product_id,
        "version": "3.1",
        "subject": "Model run stops at 42%",
        "description": "The hydraulic run stops with error E-1042 on the Riverside model.",
        **extra,
    }


async def open_ticket(
    client: httpx.AsyncClient,
    token: str,
    contracts_demo: ContractsDemo,
    *,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    data = await data_of(
        client, token, OPEN, {"input": case(contracts_demo, **extra)}, headers=headers
    )
    ticket: dict[str, Any] = data["openTicket"]
    return ticket


async def by_number(client: httpx.AsyncClient, token: str, number: str) -> dict[str, Any]:
    ticket: dict[str, Any] = (await data_of(client, token, BY_NUMBER, {"number": number}))["ticket"]
    return ticket


def steady(ticket: Mapping[str, Any]) -> dict[str, Any]:
    """The case without its clocks' explanations, which end with the moment of the answer."""
    return {**ticket, "sla": [{**c, "explanation": None} for c in ticket["sla"]]}


def clock(ticket: Mapping[str, Any], metric: str, cycle: int = 1) -> dict[str, Any]:
    return next(c for c in ticket["sla"] if c["metric"] == metric and c["cycle"] == cycle)


# -- the fixed points of docs/api.md ---------------------------------------------------------


def test_the_schema_keeps_the_fixed_points_of_api_md() -> None:
    schema = graphql_core.build_schema(build_schema(GatewaySettings(env="test")).as_str())

    def field(type_name: str, name: str) -> str:
        graphql_type = schema.get_type(type_name)
        assert isinstance(
            graphql_type,
            graphql_core.GraphQLObjectType | graphql_core.GraphQLInputObjectType,
        )
        found = graphql_type.fields[name]
        args = getattr(found, "args", {})
        listed = ", ".join(f"{arg}: {value.type}" for arg, value in args.items())
        return f"{name}({listed}): {found.type}" if args else f"{name}: {found.type}"

    def fields(type_name: str, *names: str) -> list[str]:
        return [field(type_name, name) for name in names]

    def values(enum_name: str) -> list[str]:
        enum = schema.get_type(enum_name)
        assert isinstance(enum, graphql_core.GraphQLEnumType)
        return list(enum.values)

    assert fields("Query", "ticket", "tickets", "triageQueue", "slaSimulate", "slaReport") == [
        "ticket(number: String!): Ticket",
        "tickets(filter: TicketFilter, first: Int, after: String): TicketConnection!",
        # `filter` comes after the fixed arguments (the issue: the queue is filterable).
        "triageQueue(first: Int, after: String, filter: TicketFilter): TicketConnection!",
        "slaSimulate(input: SlaSimulationInput!): [SlaClock!]!",
        "slaReport(from: DateTime!, to: DateTime!, planId: ID, customerId: ID): SlaReport!",
    ]
    assert fields(
        "Mutation",
        "openTicket",
        "replyToTicket",
        "changeTicketStatus",
        "escalateTicket",
        "closeTicket",
    ) == [
        "openTicket(input: OpenTicketInput!): Ticket!",
        "replyToTicket(ticketId: ID!, body: String!, internal: Boolean): Message!",
        "changeTicketStatus(ticketId: ID!, status: TicketStatus!, reason: String): Ticket!",
        "escalateTicket(ticketId: ID!, kind: EscalationKind!, reason: String!): Ticket!",
        "closeTicket(ticketId: ID!, resolution: String!): Ticket!",
    ]
    mutation = schema.mutation_type
    assert mutation is not None
    internal = mutation.fields["replyToTicket"].args["internal"].ast_node
    assert internal is not None
    assert internal.default_value is not None
    # The argument as declared, without its description.
    declared = (
        f"{internal.name.value}: {graphql_core.print_ast(internal.type)}"
        f" = {graphql_core.print_ast(internal.default_value)}"
    )
    assert declared == "internal: Boolean = false"
    assert values("TicketStatus") == [
        "NEW",
        "OPEN",
        "WORKING",
        "PENDING",
        "ESCALATED",
        "WITH_DEVELOPMENT",
        "CLOSED",
    ]
    assert values("SlaMetric") == ["FIRST_RESPONSE", "NEXT_RESPONSE", "RESOLUTION"]
    assert values("EscalationKind") == ["CUSTOMER", "INTERNAL"]
    assert fields(
        "Ticket", "id", "number", "status", "priority", "subject", "receivedAt", "sla"
    ) == [
        "id: ID!",
        "number: String!",
        "status: TicketStatus!",
        "priority: String!",
        "subject: String!",
        "receivedAt: DateTime!",
        "sla: [SlaClock!]!",
    ]
    assert fields(
        "SlaClock",
        "metric",
        "targetMinutes",
        "businessTime",
        "startedAt",
        "dueAt",
        "stoppedAt",
        "pausedMinutes",
        "breached",
    ) == [
        "metric: SlaMetric!",
        "targetMinutes: Int!",
        "businessTime: Boolean!",
        "startedAt: DateTime",
        "dueAt: DateTime",
        "stoppedAt: DateTime",
        "pausedMinutes: Int!",
        "breached: Boolean!",
    ]
    assert fields(
        "OpenTicketInput",
        "contactId",
        "productId",
        "version",
        "subject",
        "description",
        "type",
        "priority",
        "receivedAt",
    ) == [
        "contactId: ID",
        "productId: ID!",
        "version: String!",
        "subject: String!",
        "description: String!",
        "type: String",
        "priority: String",
        "receivedAt: DateTime",
    ]
    assert fields(
        "SlaSimulationInput",
        "planId",
        "priority",
        "receivedAt",
        "customerId",
        "events",
        "asOf",
    ) == [
        "planId: ID!",
        "priority: String!",
        "receivedAt: DateTime!",
        "customerId: ID",
        "events: [SlaEventInput!]",
        "asOf: DateTime",
    ]
    simulation = schema.get_type("SlaSimulationInput")
    assert isinstance(simulation, graphql_core.GraphQLInputObjectType)
    events = simulation.fields["events"].ast_node
    assert events is not None
    assert graphql_core.print_ast(events).endswith("\nevents: [SlaEventInput!] = []")
    assert fields("SlaEventInput", "at", "kind", "status", "priority") == [
        "at: DateTime!",
        "kind: String!",
        "status: TicketStatus",
        "priority: String",
    ]


# -- opening a case ---------------------------------------------------------------------------


async def test_a_contact_opens_a_case_and_gets_its_number_and_clocks(
    client: httpx.AsyncClient, tokens: TokenBox, contracts_demo: ContractsDemo
) -> None:
    ana = await tokens(ANA)
    ticket = await open_ticket(
        client,
        ana,
        contracts_demo,
        type="incident",
        channel="PORTAL",
        errorCode="E-1042",
        externalRefs=[{"system": "crm", "reference": "CASE-77"}],
    )

    assert NUMBER.fullmatch(ticket["number"])
    assert (ticket["status"], ticket["priority"]) == ("OPEN", "NORMAL")  # InfoCare's default
    assert (ticket["type"], ticket["channel"], ticket["language"]) == ("INCIDENT", "PORTAL", "EN")
    assert ticket["errorCode"] == "E-1042"
    assert ticket["externalRefs"] == [{"system": "crm", "reference": "CASE-77"}]
    assert ticket["customerId"] == contracts_demo.customers["Acme Water"]
    assert ticket["customer"] == {"name": "Acme Water"}
    assert ticket["contactId"] == contracts_demo.contacts[ANA]
    assert ticket["contact"] == {"email": ANA}
    assert ticket["product"] == {"name": "Tideway"}
    assert (ticket["planCode"], ticket["plan"]) == ("infocare", {"code": "infocare"})
    assert ticket["supportCenter"] == "broomfield"
    assert ticket["entitlementStatus"] == "ENTITLED"
    assert ticket["entitlement"]["reasons"] == [] and ticket["entitlement"]["phase"] == "MAINSTREAM"
    assert [c["metric"] for c in ticket["sla"]] == ["FIRST_RESPONSE", "RESOLUTION"]
    first = clock(ticket, "FIRST_RESPONSE")
    assert (first["targetMinutes"], first["businessTime"], first["cycle"]) == (120, True, 1)
    assert first["dueAt"] is not None and first["stoppedAt"] is None and first["explanation"]
    assert instant(ticket["nextDueAt"]) == instant(first["dueAt"])

    # The same case as the REST API answers it, through the gateway's own route.
    rest = await client.get(f"/api/tickets/v1/tickets/{ticket['id']}", headers=bearer(ana))
    assert rest.status_code == 200, rest.text
    body = rest.json()
    assert body["number"] == ticket["number"]
    assert [
        (c["metric"], c["target_minutes"], instant(c["started_at"]), instant(c["due_at"]))
        for c in body["sla"]
    ] == [
        (c["metric"], c["targetMinutes"], instant(c["startedAt"]), instant(c["dueAt"]))
        for c in ticket["sla"]
    ]

    # The explanations end with "as of" the moment they were computed.
    assert steady(await by_number(client, ana, ticket["number"])) == {
        **steady(ticket),
        "messages": [],
        "history": [
            {
                "kind": "OPENED",
                "fromValue": None,
                "toValue": "NORMAL",
                "reason": None,
                "actorKind": "CUSTOMER",
            },
            {
                "kind": "STATUS_CHANGE",
                "fromValue": "NEW",
                "toValue": "OPEN",
                "reason": None,
                "actorKind": "SYSTEM",
            },
        ],
    }


async def test_the_same_idempotency_key_opens_one_case(
    client: httpx.AsyncClient, tokens: TokenBox, contracts_demo: ContractsDemo
) -> None:
    ana = await tokens(ANA)
    key = {"Idempotency-Key": "portal-4711"}
    first = await open_ticket(client, ana, contracts_demo, headers=key)
    again = await open_ticket(client, ana, contracts_demo, headers=key)
    assert (again["id"], again["number"]) == (first["id"], first["number"])

    other_input = await graphql(
        client, ana, OPEN, {"input": case(contracts_demo, subject="Else")}, headers=key
    )
    assert only_error(other_input)["extensions"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert other_input["data"] is None

    without_key = [await open_ticket(client, ana, contracts_demo) for _ in range(2)]
    assert without_key[0]["number"] != without_key[1]["number"]

    # Two cases in one request: each creating field gets its own key, so retrying the whole
    # request opens neither twice.
    both = """mutation($a: OpenTicketInput!, $b: OpenTicketInput!) {
      a: openTicket(input: $a) { number }
      b: openTicket(input: $b) { number }
    }"""
    variables = {
        "a": case(contracts_demo, subject="First of two"),
        "b": case(contracts_demo, subject="Second of two"),
    }
    batch_key = {"Idempotency-Key": "portal-4712"}
    opened = await data_of(client, ana, both, variables, headers=batch_key)
    retried = await data_of(client, ana, both, variables, headers=batch_key)
    assert opened == retried and opened["a"]["number"] != opened["b"]["number"]

    total = await data_of(client, ana, "{ tickets { totalCount } }")
    assert total["tickets"]["totalCount"] == 1 + 2 + 2


@pytest.mark.parametrize(
    ("email", "version", "reasons"),
    [
        (BEN, "3.0", ["CONTACT_NOT_ADMIN"]),
        (ANA, "1.4", ["VERSION_END_OF_LIFE"]),
    ],
)
async def test_a_refusal_is_not_entitled_with_the_reasons(
    client: httpx.AsyncClient,
    tokens: TokenBox,
    contracts_demo: ContractsDemo,
    email: str,
    version: str,
    reasons: list[str],
) -> None:
    body = await graphql(
        client, await tokens(email), OPEN, {"input": case(contracts_demo, version=version)}
    )
    assert body["data"] is None
    error = only_error(body)
    assert error["path"] == ["openTicket"]
    assert error["extensions"]["code"] == "NOT_ENTITLED"
    assert error["extensions"]["reasons"] == reasons
    assert error["extensions"]["details"]["reasons"] == reasons
    assert error["extensions"]["service"] == "tickets"


async def test_a_case_is_accepted_while_contracts_cannot_be_reached(
    start_tickets: TicketsFactory,
    start_tickets_gateway: TicketsGatewayFactory,
    contracts_demo: ContractsDemo,
    unreachable_url: str,
) -> None:
    """Priority is non-null in the schema while such a case has none yet: it reads UNSET
    (or the priority asked for), never an empty string."""
    async with (
        start_tickets(contracts_url=unreachable_url) as tickets_app,
        start_tickets_gateway(SerialTransport.to(tickets_app)) as client,
    ):
        ana = await password_token(client, ANA)
        pending = await open_ticket(client, ana, contracts_demo)
        asked = await open_ticket(client, ana, contracts_demo, priority="HIGH")

    assert NUMBER.fullmatch(pending["number"])
    assert (pending["status"], pending["entitlementStatus"]) == ("NEW", "PENDING")
    assert (pending["priority"], asked["priority"]) == ("UNSET", "HIGH")
    assert (pending["sla"], pending["planCode"], pending["plan"], pending["entitlement"]) == (
        [],
        None,
        None,
        None,
    )
    assert pending["customer"] == {"name": "Acme Water"}


# -- working a case ---------------------------------------------------------------------------

REPLY = """mutation($id: ID!, $body: String!, $internal: Boolean) {
  replyToTicket(ticketId: $id, body: $body, internal: $internal) {
    id ticketId body internal automated authorKind authorId createdAt
    ticket { status messages { body } }
  }
}"""


async def test_the_same_idempotency_key_stores_one_reply(
    client: httpx.AsyncClient, tokens: TokenBox, contracts_demo: ContractsDemo
) -> None:
    ana = await tokens(ANA)
    ticket = await open_ticket(client, ana, contracts_demo)
    key = {"Idempotency-Key": "portal-reply-1"}
    said = {"id": ticket["id"], "body": "Station 4 again.", "internal": False}
    first = await data_of(client, ana, REPLY, said, headers=key)
    again = await data_of(client, ana, REPLY, said, headers=key)
    assert again["replyToTicket"]["id"] == first["replyToTicket"]["id"]
    bodies = [m["body"] for m in again["replyToTicket"]["ticket"]["messages"]]
    assert bodies.count("Station 4 again.") == 1

    other = await graphql(client, ana, REPLY, {**said, "body": "Else."}, headers=key)
    assert only_error(other)["extensions"]["code"] == "IDEMPOTENCY_KEY_REUSED"


STATUS = f"""mutation($id: ID!, $status: TicketStatus!, $reason: String) {{
  changeTicketStatus(ticketId: $id, status: $status, reason: $reason) {{
    status sla {{ {CLOCK} }}
  }}
}}"""

ESCALATE = """mutation($id: ID!, $kind: EscalationKind!, $reason: String!) {
  escalateTicket(ticketId: $id, kind: $kind, reason: $reason) {
    status history { kind toValue reason }
  }
}"""

CLOSE = f"""mutation($id: ID!, $resolution: String!) {{
  closeTicket(ticketId: $id, resolution: $resolution) {{
    status closedAt resolution sla {{ {CLOCK} }}
  }}
}}"""

REOPEN = f"""mutation($id: ID!, $reason: String!) {{
  reopenTicket(ticketId: $id, reason: $reason) {{ status closedAt sla {{ {CLOCK} }} }}
}}"""


async def test_replies_status_changes_escalation_and_close_move_the_case(
    client: httpx.AsyncClient, tokens: TokenBox, contracts_demo: ContractsDemo
) -> None:
    ana, agent = await tokens(ANA), await tokens(AGENT)
    ticket = await open_ticket(client, ana, contracts_demo)
    ids = {"id": ticket["id"]}

    note = (
        await data_of(
            client, agent, REPLY, {**ids, "body": "Looks like the pump curve.", "internal": True}
        )
    )["replyToTicket"]
    assert (note["internal"], note["authorKind"], note["authorId"]) == (True, "STAFF", AGENT)
    assert note["ticketId"] == ticket["id"]
    # An internal note is not a response.
    assert (
        clock(await by_number(client, agent, ticket["number"]), "FIRST_RESPONSE")["stoppedAt"]
        is None
    )

    answer = (await data_of(client, agent, REPLY, {**ids, "body": "Can you send the model?"}))[
        "replyToTicket"
    ]
    # The message's case is read after the reply, not before it.
    assert [m["body"] for m in answer["ticket"]["messages"]] == [
        "Looks like the pump curve.",
        "Can you send the model?",
    ]
    assert clock(await by_number(client, agent, ticket["number"]), "FIRST_RESPONSE")["stoppedAt"]

    pending = await data_of(
        client, agent, STATUS, {**ids, "status": "PENDING", "reason": "waiting for the model"}
    )
    assert pending["changeTicketStatus"]["status"] == "PENDING"
    again = await graphql(client, agent, STATUS, {**ids, "status": "PENDING"})
    error = only_error(again)
    assert error["extensions"]["code"] == "STATUS_UNCHANGED"
    assert error["extensions"]["details"] == {"from": "PENDING", "to": "PENDING"}
    not_staff = await graphql(client, ana, STATUS, {**ids, "status": "WORKING"})
    assert only_error(not_staff)["extensions"]["code"] == "ROLE_FORBIDDEN"

    reply = (await data_of(client, ana, REPLY, {**ids, "body": "Attached."}))["replyToTicket"]
    assert (reply["authorKind"], reply["ticket"]["status"]) == ("CUSTOMER", "OPEN")
    seen_by_ana = await by_number(client, ana, ticket["number"])
    assert seen_by_ana["status"] == "OPEN"  # a customer reply to a Pending case reopens it
    assert [c["metric"] for c in seen_by_ana["sla"]] == [
        "FIRST_RESPONSE",
        "NEXT_RESPONSE",
        "RESOLUTION",
    ]
    assert clock(seen_by_ana, "NEXT_RESPONSE")["stoppedAt"] is None
    # Customers never see internal notes; staff do.
    assert [m["body"] for m in seen_by_ana["messages"]] == ["Can you send the model?", "Attached."]
    assert len((await by_number(client, agent, ticket["number"]))["messages"]) == 3

    internal = await graphql(client, ana, ESCALATE, {**ids, "kind": "INTERNAL", "reason": "x"})
    assert only_error(internal)["extensions"]["code"] == "ROLE_FORBIDDEN"
    escalated = (
        await data_of(
            client, ana, ESCALATE, {**ids, "kind": "CUSTOMER", "reason": "No answer for days"}
        )
    )["escalateTicket"]
    assert escalated["status"] == "ESCALATED"
    assert {"kind": "ESCALATED", "toValue": "CUSTOMER", "reason": "No answer for days"} in (
        escalated["history"]
    )

    closed = (await data_of(client, agent, CLOSE, {**ids, "resolution": "Pump curve corrected."}))[
        "closeTicket"
    ]
    assert (closed["status"], closed["resolution"]) == ("CLOSED", "Pump curve corrected.")
    assert closed["closedAt"] is not None
    assert all(c["stoppedAt"] for c in closed["sla"])
    late = await graphql(client, ana, REPLY, {**ids, "body": "One more thing"})
    assert only_error(late)["extensions"]["code"] == "TICKET_CLOSED"

    reopened = (await data_of(client, ana, REOPEN, {**ids, "reason": "It happens again"}))[
        "reopenTicket"
    ]
    assert (reopened["status"], reopened["closedAt"]) == ("OPEN", None)
    assert clock(reopened, "RESOLUTION")["stoppedAt"] is None
    twice = await graphql(client, ana, REOPEN, {**ids, "reason": "again"})
    assert only_error(twice)["extensions"]["code"] == "TICKET_NOT_CLOSED"

    bad_id = await graphql(client, ana, REOPEN, {"id": "../triage", "reason": "x"})
    assert only_error(bad_id)["extensions"]["code"] == "VALIDATION_ERROR"


async def test_staff_reclassify_and_assign(
    client: httpx.AsyncClient, tokens: TokenBox, contracts_demo: ContractsDemo
) -> None:
    cora, agent = await tokens(CORA), await tokens(AGENT)
    ticket = await open_ticket(client, cora, contracts_demo, priority="III")
    assert clock(ticket, "FIRST_RESPONSE")["targetMinutes"] == 1440

    reclassify = f"""mutation($id: ID!, $priority: String!, $reason: String!) {{
      changeTicketPriority(ticketId: $id, priority: $priority, reason: $reason) {{
        priority sla {{ {CLOCK} }} history {{ kind fromValue toValue reason }}
      }}
    }}"""
    changed = (
        await data_of(
            client,
            agent,
            reclassify,
            {"id": ticket["id"], "priority": "I", "reason": "production down"},
        )
    )["changeTicketPriority"]
    assert changed["priority"] == "I"
    first = clock(changed, "FIRST_RESPONSE")
    assert (first["targetMinutes"], first["priority"]) == (480, "I")
    # Recomputed from the clock's original start.
    assert instant(first["startedAt"]) == instant(clock(ticket, "FIRST_RESPONSE")["startedAt"])
    assert changed["history"][-1] == {
        "kind": "PRIORITY_CHANGE",
        "fromValue": "III",
        "toValue": "I",
        "reason": "production down",
    }
    unknown = await graphql(
        client, agent, reclassify, {"id": ticket["id"], "priority": "IV", "reason": "x"}
    )
    error = only_error(unknown)
    assert error["extensions"]["code"] == "PRIORITY_UNKNOWN"
    assert error["extensions"]["details"] == {"allowed": ["I", "II", "III"]}

    agent_id = (await data_of(client, agent, "{ me { id } }"))["me"]["id"]
    assign = """mutation($id: ID!, $assignee: ID) {
      assignTicket(ticketId: $id, assigneeId: $assignee) { assigneeId }
    }"""
    assigned = await data_of(client, agent, assign, {"id": ticket["id"], "assignee": agent_id})
    assert assigned["assignTicket"]["assigneeId"] == agent_id
    mine = await data_of(
        client,
        agent,
        "query($me: ID!) { triageQueue(filter: {assigneeId: $me}) { totalCount nodes { id } } }",
        {"me": agent_id},
    )
    assert mine["triageQueue"] == {"totalCount": 1, "nodes": [{"id": ticket["id"]}]}
    unassigned = await data_of(client, agent, assign, {"id": ticket["id"], "assignee": None})
    assert unassigned["assignTicket"]["assigneeId"] is None
    by_contact = await graphql(client, cora, assign, {"id": ticket["id"], "assignee": agent_id})
    assert only_error(by_contact)["extensions"]["code"] == "ROLE_FORBIDDEN"


async def test_file_sharing_links_are_attachments(
    client: httpx.AsyncClient, tokens: TokenBox, contracts_demo: ContractsDemo
) -> None:
    ana = await tokens(ANA)
    ticket = await open_ticket(client, ana, contracts_demo)
    upload = await client.post(
        f"/api/tickets/v1/tickets/{ticket['id']}/attachments",
        params={"filename": "model.log"},
        content=b"pump curve at 42%\n",
        headers={**bearer(ana), "content-type": "text/plain"},
    )
    assert upload.status_code == 201, upload.text
    link = await data_of(
        client,
        ana,
        """mutation($id: ID!) {
          addAttachmentLink(ticketId: $id, url: "https://files.example/model.zip",
                            filename: "model.zip") { filename linkUrl downloadPath }
        }""",
        {"id": ticket["id"]},
    )
    assert link["addAttachmentLink"] == {
        "filename": "model.zip",
        "linkUrl": "https://files.example/model.zip",
        "downloadPath": None,
    }

    listed = await data_of(
        client,
        ana,
        "query($n: String!) { ticket(number: $n) { attachments { "
        "filename contentType size sha256 linkUrl downloadPath } } }",
        {"n": ticket["number"]},
    )
    attachments = {a["filename"]: a for a in listed["ticket"]["attachments"]}
    stored, shared = attachments["model.log"], attachments["model.zip"]
    assert (stored["filename"], stored["size"], stored["linkUrl"]) == ("model.log", 18, None)
    assert stored["sha256"] == upload.json()["sha256"]
    download = await client.get(stored["downloadPath"], headers=bearer(ana))
    assert (download.status_code, download.content) == (200, b"pump curve at 42%\n")
    assert shared["linkUrl"] == "https://files.example/model.zip"


# -- finding cases ----------------------------------------------------------------------------


async def test_a_customer_sees_only_its_own_cases(
    client: httpx.AsyncClient, tokens: TokenBox, contracts_demo: ContractsDemo
) -> None:
    ana, cora, agent = await tokens(ANA), await tokens(CORA), await tokens(AGENT)
    anas = await open_ticket(client, ana, contracts_demo)

    body = await graphql(client, cora, BY_NUMBER, {"number": anas["number"]})
    assert body["data"] == {"ticket": None}
    error = only_error(body)
    assert (error["path"], error["extensions"]["code"]) == (["ticket"], "TICKET_NOT_FOUND")
    by_id = await graphql(
        client, cora, "query($id: ID!) { ticketById(id: $id) { number } }", {"id": anas["id"]}
    )
    assert by_id["data"] == {"ticketById": None}
    assert only_error(by_id)["extensions"]["code"] == "TICKET_NOT_FOUND"
    reply = await graphql(client, cora, REPLY, {"id": anas["id"], "body": "Hello?"})
    assert only_error(reply)["extensions"]["code"] == "TICKET_NOT_FOUND"
    missing = await graphql(client, ana, BY_NUMBER, {"number": "CS-1999-000001"})
    assert only_error(missing)["extensions"]["code"] == "TICKET_NOT_FOUND"

    assert (await by_number(client, ana, anas["number"]))["id"] == anas["id"]
    assert (await by_number(client, agent, anas["number"]))["id"] == anas["id"]
    queue = await graphql(client, ana, "{ triageQueue { totalCount } }")
    assert only_error(queue)["extensions"]["code"] == "ROLE_FORBIDDEN"


LIST = """query($filter: TicketFilter, $first: Int, $after: String) {
  tickets(filter: $filter, first: $first, after: $after) {
    totalCount
    nodes { number subject status customer { name } }
    edges { cursor node { number } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""


async def test_tickets_by_filter_with_the_total_count(
    client: httpx.AsyncClient, tokens: TokenBox, contracts_demo: ContractsDemo
) -> None:
    ana, cora, admin = await tokens(ANA), await tokens(CORA), await tokens(ADMIN)
    opened = [
        await open_ticket(client, ana, contracts_demo, subject=subject)
        for subject in ("Pump A fails", "Pump B fails", "Valve C leaks")
    ]
    coras = await open_ticket(client, cora, contracts_demo, subject="Pomp D")

    async def listing(token: str, **variables: Any) -> dict[str, Any]:
        page: dict[str, Any] = (await data_of(client, token, LIST, variables))["tickets"]
        return page

    everything = await listing(admin)
    assert everything["totalCount"] == 4
    # Newest first.
    assert [n["number"] for n in everything["nodes"]] == [
        t["number"] for t in reversed([*opened, coras])
    ]
    acme = await listing(admin, filter={"customerId": contracts_demo.customers["Acme Water"]})
    assert acme["totalCount"] == 3
    assert {n["customer"]["name"] for n in acme["nodes"]} == {"Acme Water"}
    assert (await listing(admin, filter={"search": "Pump"}))["totalCount"] == 2
    assert (await listing(admin, filter={"language": "NL"}))["nodes"][0]["number"] == coras[
        "number"
    ]
    own = await listing(ana)
    assert own["totalCount"] == 3 and coras["number"] not in {n["number"] for n in own["nodes"]}

    first_page = await listing(ana, first=2)
    assert [n["number"] for n in first_page["nodes"]] == [
        opened[2]["number"],
        opened[1]["number"],
    ]
    assert first_page["totalCount"] == 3
    assert first_page["pageInfo"]["hasNextPage"] is True
    assert first_page["pageInfo"]["hasPreviousPage"] is False
    assert first_page["edges"][-1]["cursor"] == first_page["pageInfo"]["endCursor"]
    rest = await listing(ana, first=2, after=first_page["pageInfo"]["endCursor"])
    assert [n["number"] for n in rest["nodes"]] == [opened[0]["number"]]
    assert (rest["pageInfo"]["hasNextPage"], rest["pageInfo"]["hasPreviousPage"]) == (False, True)

    await data_of(client, admin, CLOSE, {"id": opened[0]["id"], "resolution": "Replaced the pump."})
    closed = await listing(ana, filter={"status": ["CLOSED"]})
    assert [n["number"] for n in closed["nodes"]] == [opened[0]["number"]]
    still_open = await listing(ana, filter={"status": ["OPEN", "WORKING"]})
    assert still_open["totalCount"] == 2

    bad = await graphql(client, ana, LIST, {"after": "not-a-cursor"})
    assert only_error(bad)["extensions"]["code"] == "INVALID_CURSOR"


async def test_the_triage_queue_puts_the_most_severe_and_most_urgent_first(
    client: httpx.AsyncClient, tokens: TokenBox, contracts_demo: ContractsDemo
) -> None:
    cora, dan, agent = await tokens(CORA), await tokens(DAN), await tokens(AGENT)
    low = await open_ticket(client, cora, contracts_demo, priority="III")
    critical = await open_ticket(client, dan, contracts_demo, priority="CRITICAL")
    high = await open_ticket(client, cora, contracts_demo, priority="II")
    closed = await open_ticket(client, cora, contracts_demo, priority="I")
    await data_of(client, agent, CLOSE, {"id": closed["id"], "resolution": "Duplicate."})

    queue_query = """query($first: Int, $after: String, $filter: TicketFilter) {
      triageQueue(first: $first, after: $after, filter: $filter) {
        totalCount nodes { number priority nextDueAt } pageInfo { hasNextPage endCursor }
      }
    }"""
    queue = (await data_of(client, agent, queue_query))["triageQueue"]
    assert queue["totalCount"] == 3
    assert [n["number"] for n in queue["nodes"]] == [
        critical["number"],
        high["number"],
        low["number"],
    ]
    assert [n["priority"] for n in queue["nodes"]] == ["CRITICAL", "II", "III"]

    paged = (await data_of(client, agent, queue_query, {"first": 1}))["triageQueue"]
    assert [n["number"] for n in paged["nodes"]] == [critical["number"]]
    following = (
        await data_of(
            client, agent, queue_query, {"first": 5, "after": paged["pageInfo"]["endCursor"]}
        )
    )["triageQueue"]
    assert [n["number"] for n in following["nodes"]] == [high["number"], low["number"]]

    dutch = (await data_of(client, agent, queue_query, {"filter": {"language": "NL"}}))[
        "triageQueue"
    ]
    assert [n["number"] for n in dutch["nodes"]] == [high["number"], low["number"]]


# -- the SLA engine and its report ------------------------------------------------------------

SIMULATE = f"""query($input: SlaSimulationInput!) {{
  slaSimulate(input: $input) {{ {CLOCK} }}
}}"""


async def test_sla_simulate_for_invantive_category_one_on_a_friday_afternoon(
    client: httpx.AsyncClient, tokens: TokenBox, contracts_demo: ContractsDemo
) -> None:
    """Friday 2026-11-20 16:30 Amsterdam: 30 service minutes that Friday, the other 450 on
    Monday from 09:00, so due Monday 16:30 Amsterdam = 15:30 UTC."""
    admin = await tokens(ADMIN)
    plan = contracts_demo.plans["invantive-subscription"]
    received = {"planId": plan, "priority": "I", "receivedAt": "2026-11-20T15:30:00Z"}

    clocks = (
        await data_of(
            client, admin, SIMULATE, {"input": {**received, "asOf": "2026-11-20T16:00:00Z"}}
        )
    )["slaSimulate"]
    assert [c["metric"] for c in clocks] == ["FIRST_RESPONSE", "RESOLUTION"]
    first = clocks[0]
    assert (first["targetMinutes"], first["businessTime"], first["breached"]) == (480, True, False)
    assert instant(first["startedAt"]) == datetime(2026, 11, 20, 15, 30, tzinfo=UTC)
    assert instant(first["dueAt"]) == datetime(2026, 11, 23, 15, 30, tzinfo=UTC)
    assert first["explanation"]
    assert clocks[1]["targetMinutes"] == 4800

    answered = (
        await data_of(
            client,
            admin,
            SIMULATE,
            {
                "input": {
                    **received,
                    "events": [{"at": "2026-11-23T10:00:00Z", "kind": "STAFF_REPLY"}],
                    "asOf": "2026-11-24T12:00:00Z",
                }
            },
        )
    )["slaSimulate"]
    assert instant(answered[0]["stoppedAt"]) == datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    assert answered[0]["breached"] is False

    unknown = await graphql(client, admin, SIMULATE, {"input": {**received, "priority": "IV"}})
    assert only_error(unknown)["extensions"]["code"] == "PRIORITY_UNKNOWN"
    contact = await graphql(client, await tokens(CORA), SIMULATE, {"input": received})
    assert only_error(contact)["extensions"]["code"] == "ROLE_FORBIDDEN"


async def test_sla_simulate_gives_the_clocks_of_a_live_case(
    client: httpx.AsyncClient, tokens: TokenBox, contracts_demo: ContractsDemo
) -> None:
    agent = await tokens(AGENT)
    received_at = (datetime.now(UTC) - timedelta(days=3)).replace(microsecond=0)
    live = await open_ticket(
        client,
        agent,
        contracts_demo,
        contactId=contracts_demo.contacts[CORA],
        priority="II",
        receivedAt=received_at.isoformat(),
        channel="PHONE",
    )
    assert instant(live["receivedAt"]) == received_at and live["channel"] == "PHONE"
    simulated = (
        await data_of(
            client,
            agent,
            SIMULATE,
            {
                "input": {
                    "planId": contracts_demo.plans["invantive-subscription"],
                    "priority": "II",
                    "receivedAt": received_at.isoformat(),
                    "customerId": contracts_demo.customers["Cobalt Logistics"],
                }
            },
        )
    )["slaSimulate"]

    def due(clocks: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        return [
            (c["metric"], c["targetMinutes"], instant(c["startedAt"]), instant(c["dueAt"]))
            for c in clocks
        ]

    assert due(simulated) == due(live["sla"])


REPORT = """query($from: DateTime!, $to: DateTime!, $plan: ID, $customer: ID) {
  slaReport(from: $from, to: $to, planId: $plan, customerId: $customer) {
    from to planId customerId tickets
    metrics {
      metric total withinTarget breached running percentWithin averageMinutes
      averageTargetMinutes
    }
    plans { planId planCode plan { name } tickets metrics { metric total } }
  }
}"""


async def test_sla_report_per_period_plan_and_customer(
    client: httpx.AsyncClient, tokens: TokenBox, contracts_demo: ContractsDemo
) -> None:
    agent, ana = await tokens(AGENT), await tokens(ANA)
    now = datetime.now(UTC)
    cobalt = contracts_demo.contacts[CORA]
    answered = await open_ticket(
        client, agent, contracts_demo, contactId=cobalt, priority="I", receivedAt=now.isoformat()
    )
    late = await open_ticket(
        client,
        agent,
        contracts_demo,
        contactId=cobalt,
        priority="I",
        receivedAt=(now - timedelta(days=14)).isoformat(),
    )
    await open_ticket(client, ana, contracts_demo)
    for ticket in (answered, late):
        await data_of(client, agent, REPLY, {"id": ticket["id"], "body": "Looking into it."})

    period = {
        "from": (now - timedelta(days=30)).isoformat(),
        "to": (now + timedelta(minutes=5)).isoformat(),
    }
    report = (await data_of(client, agent, REPORT, period))["slaReport"]
    assert instant(report["from"]) == instant(period["from"])
    assert report["tickets"] == 3
    first = next(m for m in report["metrics"] if m["metric"] == "FIRST_RESPONSE")
    assert (first["total"], first["withinTarget"], first["breached"], first["running"]) == (
        3,
        1,
        1,
        1,
    )
    assert first["percentWithin"] == 50.0
    assert first["averageTargetMinutes"] == 480.0
    assert {(p["planCode"], p["plan"]["name"], p["tickets"]) for p in report["plans"]} == {
        ("invantive-subscription", "Invantive Subscription", 2),
        ("infocare", "InfoCare", 1),
    }

    invantive = contracts_demo.plans["invantive-subscription"]
    by_plan = (await data_of(client, agent, REPORT, {**period, "plan": invantive}))["slaReport"]
    assert (by_plan["planId"], by_plan["tickets"]) == (invantive, 2)
    acme = contracts_demo.customers["Acme Water"]
    by_customer = (await data_of(client, agent, REPORT, {**period, "customer": acme}))["slaReport"]
    assert (by_customer["customerId"], by_customer["tickets"]) == (acme, 1)

    # A customer administrator gets its own customer's report, whatever it asks for.
    cobalt_customer = contracts_demo.customers["Cobalt Logistics"]
    own = (await data_of(client, ana, REPORT, {**period, "customer": cobalt_customer}))["slaReport"]
    assert (own["customerId"], own["tickets"]) == (acme, 1)
    contact = await graphql(client, await tokens(BEN), REPORT, period)
    assert only_error(contact)["extensions"]["code"] == "ROLE_FORBIDDEN"
    backwards = await graphql(client, agent, REPORT, {"from": period["to"], "to": period["from"]})
    assert only_error(backwards)["extensions"]["code"] == "PERIOD_OUT_OF_ORDER"


# -- batching ---------------------------------------------------------------------------------


async def test_nested_fields_ask_each_service_once_per_case_or_per_batch(
    start_tickets_gateway: TicketsGatewayFactory,
    tickets_app: FastAPI,
    contracts_serial_transport: SerialTransport,
    contracts_demo: ContractsDemo,
) -> None:
    tickets = RecordingTransport(SerialTransport.to(tickets_app))
    # Tickets' own calls to contracts keep to the same lock; only the gateway's are recorded.
    contracts = RecordingTransport(contracts_serial_transport)
    async with start_tickets_gateway(tickets, contracts_transport=contracts) as client:
        ana = await password_token(client, ANA)
        opened = [await open_ticket(client, ana, contracts_demo) for _ in range(3)]
        tickets.clear()
        contracts.clear()

        page = await data_of(
            client,
            ana,
            """{ tickets {
              nodes {
                number description channel sla { metric dueAt } closedAt
                customer { name } contact { email } product { name } plan { code }
                history { kind }
              }
            } }""",
        )

    nodes = page["tickets"]["nodes"]
    assert len(nodes) == 3
    assert {n["customer"]["name"] for n in nodes} == {"Acme Water"}
    assert {n["contact"]["email"] for n in nodes} == {ANA}
    # The cases come whole from the list (clocks, description, channel, ...): no case is read
    # on its own.
    assert not [p for p in tickets.paths if re.fullmatch(r"/v1/tickets/[0-9a-f-]+", p)]
    assert "/v1/tickets/batch" not in tickets.paths
    [listed] = [r for r in tickets.requests if r.url.path == "/v1/tickets"]
    assert listed.url.params.get("include") == "sla"
    assert sorted(n["number"] for n in nodes) == sorted(t["number"] for t in opened)
    assert len([p for p in tickets.paths if p.endswith("/history")]) == 3
    assert sorted(contracts.paths) == sorted(
        ["/v1/customers", "/v1/contacts", "/v1/products", "/v1/plans"]
    )


async def test_a_license_key_leads_to_its_request_case(
    client: httpx.AsyncClient, tokens: TokenBox, contracts_demo: ContractsDemo
) -> None:
    ana, agent, cora = await tokens(ANA), await tokens(AGENT), await tokens(CORA)
    request = await open_ticket(client, ana, contracts_demo, type="KEY_REQUEST")
    issue = """mutation($customer: ID!, $product: ID!, $ticket: ID) {
      issueLicenseKey(customerId: $customer, productId: $product, majorVersion: 3,
                      requestTicketId: $ticket) {
        id requestTicketId requestTicket { number type customer { name } }
      }
    }"""
    issued = (
        await data_of(
            client,
            agent,
            issue,
            {
                "customer": contracts_demo.customers["Acme Water"],
                "product": contracts_demo.product_id,
                "ticket": request["id"],
            },
        )
    )["issueLicenseKey"]
    assert issued["requestTicket"] == {
        "number": request["number"],
        "type": "KEY_REQUEST",
        "customer": {"name": "Acme Water"},
    }
    # Staff may issue a key against any case id; a case the caller cannot see is no link.
    foreign = (
        await data_of(
            client,
            agent,
            issue,
            {
                "customer": contracts_demo.customers["Cobalt Logistics"],
                "product": contracts_demo.product_id,
                "ticket": request["id"],
            },
        )
    )["issueLicenseKey"]
    seen_by_cora = await data_of(
        client,
        cora,
        "query($id: ID!) { licenseKey(id: $id) { requestTicketId requestTicket { number } } }",
        {"id": foreign["id"]},
    )
    assert seen_by_cora["licenseKey"] == {"requestTicketId": request["id"], "requestTicket": None}
