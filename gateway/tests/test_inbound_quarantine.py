"""The mail channel's quarantine through GraphQL against tickets' inbound routes, in-process.

NEEDS THE MAIL-IN BRANCH: these tests call tickets' ``/v1/inbound/quarantine`` routes and
its ``/v1/tickets/{id}/messages/{mid}/raw`` route, which the mail-in branch adds to tickets.
Before that branch is merged, tickets answers every one of them with its unknown-route 404
(``NOT_FOUND``), and these tests fail on it: they are not skipped, so a merge that drops or
renames a route shows here. What the gateway does on its own (schema, argument checks, the
calls it makes) is in ``test_graphql_mail_channel.py`` and passes without it.
"""

from __future__ import annotations

import uuid

from careplane_shared.testing.graphql import data_of, graphql, only_error

from .conftest import ContractsDemo
from .test_graphql_mail_channel import (
    AGENT,
    ANA,
    ONE,
    QUARANTINE,
    REJECT,
    RELEASE,
    Inbound,
    inbound,  # noqa: F401
)

# tickets' answer to a route it does not have: these tests must never accept it.
UNKNOWN_ROUTE = "NOT_FOUND"
CONNECTION = """query Q($status: QuarantineStatus) {
  inboundQuarantine(status: $status, first: 5) {
    totalCount nodes { id status reason } pageInfo { hasNextPage endCursor }
  }
}"""


async def test_staff_read_the_quarantine_as_a_page(inbound: Inbound) -> None:  # noqa: F811
    agent = await inbound.tokens(AGENT)
    for status in ("HELD", "RELEASED", "REJECTED"):
        page = (await data_of(inbound.client, agent, CONNECTION, {"status": status}))[
            "inboundQuarantine"
        ]
        # Nothing was received in this test's database.
        assert page == {
            "totalCount": 0,
            "nodes": [],
            "pageInfo": {"hasNextPage": False, "endCursor": None},
        }


async def test_an_unknown_quarantined_mail_is_tickets_own_not_found(
    inbound: Inbound,  # noqa: F811
) -> None:
    agent = await inbound.tokens(AGENT)
    nobody = str(uuid.uuid4())
    for document, variables in (
        (ONE, {"id": nobody}),
        (RELEASE, {"id": nobody}),
        (REJECT, {"id": nobody, "reason": "spam"}),
    ):
        error = only_error(await graphql(inbound.client, agent, document, variables))
        code = error["extensions"]["code"]
        assert code.endswith("NOT_FOUND") and code != UNKNOWN_ROUTE, (document, error)


async def test_customers_are_refused_the_quarantine(inbound: Inbound) -> None:  # noqa: F811
    ana = await inbound.tokens(ANA)
    listing = only_error(await graphql(inbound.client, ana, QUARANTINE))
    assert listing["extensions"]["code"] == "ROLE_FORBIDDEN"
    nobody = str(uuid.uuid4())
    for document, variables in (
        (ONE, {"id": nobody}),
        (RELEASE, {"id": nobody}),
        (REJECT, {"id": nobody, "reason": None}),
    ):
        answer = await graphql(inbound.client, ana, document, variables)
        code = only_error(answer)["extensions"]["code"]
        assert code != UNKNOWN_ROUTE and code != "INTERNAL_ERROR", (document, code)
        # A nullable field answers null beside its error; a non-null one nulls the data.
        assert not any((answer.get("data") or {}).values()), answer


async def test_a_message_that_did_not_come_by_mail_has_no_raw_mail(
    inbound: Inbound,  # noqa: F811
    contracts_demo: ContractsDemo,
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
    await data_of(
        inbound.client,
        ana,
        'mutation($id: ID!) { replyToTicket(ticketId: $id, body: "From the portal.") { id } }',
        {"id": ticket},
    )
    messages = await data_of(
        inbound.client,
        agent,
        "query($id: ID!) { ticketById(id: $id) { messages { rawMessagePath } } }",
        {"id": ticket},
    )
    [path] = [m["rawMessagePath"] for m in messages["ticketById"]["messages"]]
    as_staff = await inbound.client.get(path, headers={"Authorization": f"Bearer {agent}"})
    assert as_staff.status_code == 404
    assert as_staff.json()["error"]["code"] == "RAW_MESSAGE_NOT_FOUND"
    as_customer = await inbound.client.get(path, headers={"Authorization": f"Bearer {ana}"})
    assert as_customer.status_code in (403, 404)
    assert as_customer.json()["error"]["code"] != UNKNOWN_ROUTE
