"""The gateway's side of the mail channel (#11) that runs on its own: the quarantine's
fields in the schema, their arguments checked before any call, each field's call to tickets
(method, path, query, body) as the contract with tickets' inbound routes names it, the raw
message path of a case's messages, and a bounce recorded by notify shown on its delivery.

What needs tickets' inbound routes to answer (pages, decisions, refusals) is in
``test_inbound_quarantine.py``."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI

from careplane_gateway.config import GatewaySettings
from careplane_gateway.graphql.schema import build_schema
from careplane_shared.testing import TokenBox
from careplane_shared.testing.graphql import data_of, graphql, only_error
from careplane_shared.testing.transport import RecordingTransport, SerialTransport
from contracts.config import ContractsSettings

from .conftest import ContractsDemo, TicketsGatewayFactory
from .test_graphql_notify import client, notify_app, post_event, tokens  # noqa: F401

AGENT = "agent@example.com"
ADMIN = "admin@example.com"
ANA = "ana@acme-water.example"

QUARANTINE = """query Q($status: QuarantineStatus, $first: Int, $after: String) {
  inboundQuarantine(status: $status, first: $first, after: $after) { totalCount nodes { id } }
}"""
ONE = "query One($id: ID!) { quarantinedMail(id: $id) { id status } }"
RELEASE = """mutation Release($id: ID!) {
  releaseQuarantinedMail(id: $id) { ticketId messageId item { id status } }
}"""
REJECT = """mutation Reject($id: ID!, $reason: String) {
  rejectQuarantinedMail(id: $id, reason: $reason) { id status decisionReason }
}"""


def test_the_quarantine_is_in_the_schema_as_the_contract_names_it() -> None:
    schema = build_schema(GatewaySettings(env="test"))._schema
    query, mutation = schema.query_type, schema.mutation_type
    assert query is not None and mutation is not None
    listing = query.fields["inboundQuarantine"]
    assert str(listing.type) == "QuarantinedMailConnection!"
    assert str(listing.args["status"].type) == "QuarantineStatus!"
    assert listing.args["status"].default_value.value == "HELD"
    assert str(mutation.fields["releaseQuarantinedMail"].args["id"].type) == "ID!"
    assert str(mutation.fields["rejectQuarantinedMail"].args["reason"].type) == "String"
    mail = schema.get_type("QuarantinedMail")
    assert set(mail.fields) == {  # type: ignore[union-attr]
        "id",
        "receivedAt",
        "mailFrom",
        "fromAddress",
        "toAddresses",
        "subject",
        "reason",
        "ticketId",
        "ticketNumber",
        "status",
        "decidedBy",
        "decidedAt",
        "decisionReason",
        "size",
    }
    assert "rawMessagePath" in schema.get_type("Message").fields  # type: ignore[union-attr]
    delivery = schema.get_type("Delivery").fields  # type: ignore[union-attr]
    assert {"bouncedAt", "bounceStatus", "bounceDiagnostic"} <= set(delivery)


@dataclass
class Inbound:
    client: Any
    tickets: RecordingTransport
    tokens: TokenBox

    def calls(self) -> list[tuple[str, str, dict[str, str], Any]]:
        """Every call to tickets' inbound routes: method, path, query, JSON body."""
        return [
            (
                r.method,
                r.url.path,
                dict(r.url.params),
                json.loads(r.content) if r.content else None,
            )
            for r in self.tickets.requests
            if r.url.path.startswith("/v1/inbound/")
        ]


@pytest.fixture
async def inbound(
    start_tickets_gateway: TicketsGatewayFactory,
    tickets_app: FastAPI,
    contracts_demo: ContractsDemo,
) -> AsyncIterator[Inbound]:
    tickets = RecordingTransport(SerialTransport.to(tickets_app))
    async with start_tickets_gateway(tickets) as gateway:
        yield Inbound(gateway, tickets, TokenBox(gateway))


async def test_arguments_are_checked_before_tickets_is_called(inbound: Inbound) -> None:
    agent = await inbound.tokens(AGENT)
    for document, variables in (
        (ONE, {"id": "../tickets"}),
        (RELEASE, {"id": "not-an-id"}),
        (REJECT, {"id": "1", "reason": "spam"}),
        (QUARANTINE, {"first": 0}),
        (QUARANTINE, {"first": 201}),
    ):
        answer = await graphql(inbound.client, agent, document, variables)
        assert only_error(answer)["extensions"]["code"] == "VALIDATION_ERROR", document
    bad_cursor = await graphql(inbound.client, agent, QUARANTINE, {"after": "nope"})
    assert only_error(bad_cursor)["extensions"]["code"] == "INVALID_CURSOR"
    unknown_status = await graphql(inbound.client, agent, QUARANTINE, {"status": "LOST"})
    assert only_error(unknown_status)["extensions"]["code"] != "INTERNAL_ERROR"
    assert inbound.calls() == []


async def test_each_field_calls_tickets_inbound_route_as_the_contract_names_it(
    inbound: Inbound,
) -> None:
    """Only the calls are judged here; what tickets answers is in test_inbound_quarantine."""
    agent = await inbound.tokens(AGENT)
    mail = str(uuid.uuid4())
    await graphql(inbound.client, agent, QUARANTINE)
    await graphql(inbound.client, agent, QUARANTINE, {"status": "REJECTED", "first": 10})
    await graphql(inbound.client, agent, ONE, {"id": mail})
    await graphql(inbound.client, agent, RELEASE, {"id": mail})
    await graphql(inbound.client, agent, REJECT, {"id": mail, "reason": "Spam"})
    await graphql(inbound.client, agent, REJECT, {"id": mail})
    base = "/v1/inbound/quarantine"
    assert inbound.calls() == [
        ("GET", base, {"status": "HELD", "limit": "50", "offset": "0"}, None),
        ("GET", base, {"status": "REJECTED", "limit": "10", "offset": "0"}, None),
        ("GET", f"{base}/{mail}", {}, None),
        ("POST", f"{base}/{mail}/release", {}, {}),
        ("POST", f"{base}/{mail}/reject", {}, {"reason": "Spam"}),
        ("POST", f"{base}/{mail}/reject", {}, {"reason": None}),
    ]


async def test_a_customers_message_names_where_its_mail_is_served(
    inbound: Inbound, contracts_demo: ContractsDemo
) -> None:
    ana, agent = await inbound.tokens(ANA), await inbound.tokens(AGENT)
    opened = await data_of(
        inbound.client,
        ana,
        "mutation($input: OpenTicketInput!) { openTicket(input: $input) { id } }",
        {
            "input": {
                "productId": contracts_demo.product_id,
                "version": "3.1",
                "subject": "Telemetry stopped",
                "description": "Since 02:00.",
            }
        },
    )
    ticket = opened["openTicket"]["id"]
    reply = (
        "mutation($id: ID!, $body: String!) { replyToTicket(ticketId: $id, body: $body) { id } }"
    )
    await data_of(inbound.client, ana, reply, {"id": ticket, "body": "More detail."})
    await data_of(inbound.client, agent, reply, {"id": ticket, "body": "Looking."})
    messages = await data_of(
        inbound.client,
        agent,
        "query($id: ID!) { ticketById(id: $id) { messages { id authorKind rawMessagePath } } }",
        {"id": ticket},
    )
    paths = {
        m["authorKind"]: (m["id"], m["rawMessagePath"]) for m in messages["ticketById"]["messages"]
    }
    customer_id, customer_path = paths["CUSTOMER"]
    assert customer_path == f"/api/tickets/v1/tickets/{ticket}/messages/{customer_id}/raw"
    assert paths["STAFF"][1] is None


async def test_a_bounce_notify_recorded_shows_on_the_delivery(
    client: Any,  # noqa: F811
    tokens: dict[str, str],  # noqa: F811
    gateway_contracts_settings: ContractsSettings,
    contracts_demo: ContractsDemo,
) -> None:
    acme = contracts_demo.customers["Acme Water"]
    await post_event(
        client,
        gateway_contracts_settings,
        "ticket.opened",
        acme,
        contact_id=contracts_demo.contacts[ANA],
    )
    query = """query($filter: DeliveryFilter) { deliveries(filter: $filter) {
      totalCount nodes { id status bouncedAt bounceStatus bounceDiagnostic } } }"""
    [mail] = (await data_of(client, tokens[ADMIN], query, {"filter": {"channel": "EMAIL"}}))[
        "deliveries"
    ]["nodes"]
    assert mail["bouncedAt"] is None
    await post_event(
        client,
        gateway_contracts_settings,
        "mail.bounced",
        acme,
        delivery_id=mail["id"],
        recipient=ANA,
        action="failed",
        diagnostic="smtp; 550 5.1.1 no such user",
        inbound_id=str(uuid.uuid4()),
        status="5.1.1",
    )
    [bounced] = (await data_of(client, tokens[ADMIN], query, {"filter": {"channel": "EMAIL"}}))[
        "deliveries"
    ]["nodes"]
    assert bounced["bounceStatus"] == "5.1.1" and bounced["bouncedAt"] is not None
    assert bounced["bounceDiagnostic"] == "smtp; 550 5.1.1 no such user"
    # Never sent (no worker ran here): the bounce is recorded, the status left as it was.
    assert bounced["status"] == "PENDING"
