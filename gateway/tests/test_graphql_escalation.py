"""Escalations (seed 000), the escalation path (seed 001) and priority change requests (seed
002) through ``/graphql`` with real tokens from contracts, against the real tickets and
contracts services (in-process) on real PostgreSQL with the demo data."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from careplane_shared.testing import TokenBox
from careplane_shared.testing.graphql import data_of, graphql, only_error

from .conftest import ContractsDemo
from .test_graphql_tickets import AGENT, ANA, CORA, clock, open_ticket

CSM = "csm.americas@example.com"  # Acme Water is in AMERICAS
SECRET = "Solver regression suspected in build 3.1.4"


@pytest.fixture
def client(
    gateway_tickets_client: httpx.AsyncClient, contracts_demo: ContractsDemo
) -> httpx.AsyncClient:
    return gateway_tickets_client


@pytest.fixture
def tokens(client: httpx.AsyncClient) -> TokenBox:
    return TokenBox(client)


ESCALATE = """mutation($id: ID!, $reason: String!) {
  escalateTicket(ticketId: $id, kind: CUSTOMER, reason: $reason) { status }
}"""
TO_TEAM = """mutation($id: ID!, $team: String!, $reason: String!) {
  escalateToTeam(ticketId: $id, team: $team, reason: $reason) { status }
}"""
RETURN = """mutation($id: ID!) { returnFromTeam(ticketId: $id, note: "Patched") { status } }"""
RESOLVE = """mutation($id: ID!, $resolution: String!) {
  resolveEscalation(ticketId: $id, resolution: $resolution) {
    status escalations { kind open resolution }
  }
}"""
ATTEMPT = """mutation($id: ID!, $channel: ContactChannel!, $outcome: ContactOutcome!) {
  recordContactAttempt(ticketId: $id, channel: $channel, outcome: $outcome, note: "cc ops") {
    channel step skippedAhead outcome note
  }
}"""
CASE = """query($id: ID!) {
  ticketById(id: $id) {
    status
    escalations { kind reason team owner { email name } open previousStatus }
    contactAttempts { path nextStep totalCount attempts { channel step skippedAhead note } }
    history { kind reason }
    changeRequests { toPriority status motivation decisionReason }
  }
}"""
REQUEST = """mutation($id: ID!, $priority: String!, $motivation: String!) {
  requestPriorityChange(ticketId: $id, priority: $priority, motivation: $motivation) {
    status fromPriority toPriority
  }
}"""
DECIDE = """mutation($id: ID!, $decision: ChangeDecision!, $reason: String!) {
  decidePriorityChange(ticketId: $id, decision: $decision, reason: $reason) {
    status decisionReason
    ticket { priority sla { metric cycle dueAt startedAt } }
  }
}"""


def _code(answer: dict[str, Any]) -> str:
    code: str = only_error(answer)["extensions"]["code"]
    return code


async def test_both_escalations_and_the_path_through_graphql(
    client: httpx.AsyncClient, tokens: TokenBox, contracts_demo: ContractsDemo
) -> None:
    ana, agent, csm = await tokens(ANA), await tokens(AGENT), await tokens(CSM)
    ticket = await open_ticket(client, ana, contracts_demo)
    ids = {"id": ticket["id"]}

    assert _code(await graphql(client, ana, ESCALATE, {**ids, "reason": " "})) == (
        "ESCALATION_REASON_REQUIRED"
    )
    escalated = await data_of(client, ana, ESCALATE, {**ids, "reason": "No answer for days"})
    assert escalated["escalateTicket"]["status"] == "ESCALATED"
    again = await graphql(client, ana, ESCALATE, {**ids, "reason": "Still nothing"})
    assert _code(again) == "ESCALATION_OPEN"
    assert _code(await graphql(client, ana, TO_TEAM, {**ids, "team": "X", "reason": "x"})) == (
        "ROLE_FORBIDDEN"
    )
    handed = await data_of(client, agent, TO_TEAM, {**ids, "team": "Hydraulics", "reason": SECRET})
    assert handed["escalateToTeam"]["status"] == "ESCALATED"

    for channel, outcome, ahead in (
        ("PHONE", "NO_ANSWER", True),
        ("EMAIL", "REACHED", False),
    ):
        attempt = await data_of(
            client, agent, ATTEMPT, {**ids, "channel": channel, "outcome": outcome}
        )
        assert attempt["recordContactAttempt"]["skippedAhead"] is ahead
    assert _code(
        await graphql(client, ana, ATTEMPT, {**ids, "channel": "EMAIL", "outcome": "REACHED"})
    ) == ("ROLE_FORBIDDEN")

    # Staff see both escalations, the team and the notes.
    staff_view = (await data_of(client, agent, CASE, ids))["ticketById"]
    assert [(e["kind"], e["team"]) for e in staff_view["escalations"]] == [
        ("CUSTOMER", None),
        ("INTERNAL", "Hydraulics"),
    ]
    assert staff_view["escalations"][0]["owner"]["email"] == CSM
    path = staff_view["contactAttempts"]
    assert path["path"] == ["EMAIL", "PHONE", "WEB_CONFERENCE"]
    assert (path["nextStep"], path["totalCount"]) == ("WEB_CONFERENCE", 2)
    assert [a["note"] for a in path["attempts"]] == ["cc ops", "cc ops"]
    # The customer: its own escalation and its manager; nothing of the team, no notes.
    answer = await graphql(client, ana, CASE, ids)
    assert SECRET not in str(answer) and "Hydraulics" not in str(answer)
    customer_view = answer["data"]["ticketById"]
    assert [e["kind"] for e in customer_view["escalations"]] == ["CUSTOMER"]
    assert customer_view["escalations"][0]["owner"]["email"] == CSM
    assert [a["note"] for a in customer_view["contactAttempts"]["attempts"]] == [None, None]

    # The manager who owns it resolves it; the team still has the case, then returns it.
    not_owner = await graphql(client, agent, RESOLVE, {**ids, "resolution": "x"})
    assert _code(not_owner) == "NOT_ESCALATION_OWNER"
    resolved = (await data_of(client, csm, RESOLVE, {**ids, "resolution": "Called Ana"}))[
        "resolveEscalation"
    ]
    assert resolved["status"] == "ESCALATED"
    assert {"kind": "CUSTOMER", "open": False, "resolution": "Called Ana"} in resolved[
        "escalations"
    ]
    back = await data_of(client, agent, RETURN, ids)
    assert back["returnFromTeam"]["status"] == "OPEN"
    assert _code(await graphql(client, agent, RETURN, ids)) == "NO_OPEN_ESCALATION"


async def test_a_priority_change_request_through_graphql(
    client: httpx.AsyncClient, tokens: TokenBox, contracts_demo: ContractsDemo
) -> None:
    cora, agent = await tokens(CORA), await tokens(AGENT)
    ticket = await open_ticket(client, cora, contracts_demo)
    assert ticket["priority"] == "III"
    ids = {"id": ticket["id"]}
    blank = await graphql(client, cora, REQUEST, {**ids, "priority": "I", "motivation": ""})
    assert _code(blank) == "MOTIVATION_REQUIRED"
    staff_asks = await graphql(client, agent, REQUEST, {**ids, "priority": "I", "motivation": "x"})
    assert _code(staff_asks) == "CUSTOMERS_ONLY"

    asked = await data_of(
        client, cora, REQUEST, {**ids, "priority": "II", "motivation": "Two users blocked"}
    )
    assert asked["requestPriorityChange"] == {
        "status": "PENDING",
        "fromPriority": "III",
        "toPriority": "II",
    }
    refused = (
        await data_of(client, agent, DECIDE, {**ids, "decision": "REFUSED", "reason": "KB 12"})
    )["decidePriorityChange"]
    assert (refused["status"], refused["ticket"]["priority"]) == ("REFUSED", "III")

    await data_of(
        client, cora, REQUEST, {**ids, "priority": "I", "motivation": "Nobody can invoice"}
    )
    customer_decides = await graphql(
        client, cora, DECIDE, {**ids, "decision": "ACCEPTED", "reason": "x"}
    )
    assert _code(customer_decides) == "ROLE_FORBIDDEN"
    accepted = (
        await data_of(
            client, agent, DECIDE, {**ids, "decision": "ACCEPTED", "reason": "Invoicing is down"}
        )
    )["decidePriorityChange"]
    assert (accepted["status"], accepted["ticket"]["priority"]) == ("ACCEPTED", "I")
    before, after = clock(ticket, "FIRST_RESPONSE"), clock(accepted["ticket"], "FIRST_RESPONSE")
    # The same start, Category I's shorter target: due earlier.
    assert after["startedAt"] == before["startedAt"]
    assert after["dueAt"] < before["dueAt"]

    seen = (await data_of(client, cora, CASE, ids))["ticketById"]["changeRequests"]
    assert [(r["toPriority"], r["status"], r["decisionReason"]) for r in seen] == [
        ("I", "ACCEPTED", "Invoicing is down"),
        ("II", "REFUSED", "KB 12"),
    ]
