"""Scheduled visits, emergencies and the on-call rota through ``/graphql`` with real tokens,
against the real tickets and contracts services (in-process) on real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from careplane_shared.testing import TokenBox
from careplane_shared.testing.graphql import data_of, error_code, graphql

from .conftest import ContractsDemo
from .test_graphql_tickets import OPEN, case

MANAGER = "manager@example.com"
AGENT = "agent@example.com"
BO = "bo@borealis.example"  # InfraCare: scheduled visits, emergencies not billed
ANA = "ana@acme-water.example"  # InfoCare: neither
DAN = "dan@delta.example"  # Infotecs Premium: emergencies billed per call

VISIT = "id customerId customerName supportCenter status startsAt endsAt bookedBy requestedBy"
SCHEDULE = f"""mutation Schedule($input: ScheduleVisitInput!) {{
  scheduleVisit(input: $input) {{ {VISIT} }}
}}"""
CONFIRM = f"mutation Confirm($id: ID!) {{ confirmVisit(visitId: $id) {{ {VISIT} }} }}"
CANCEL = f"""mutation Cancel($id: ID!) {{
  cancelVisit(visitId: $id, reason: "Moved to spring") {{ {VISIT} cancelReason }}
}}"""
VISITS = f"query {{ visits {{ totalCount nodes {{ {VISIT} }} }} }}"
DECLARE = """mutation Declare($id: ID!) {
  declareEmergency(ticketId: $id, reason: "All sites offline") {
    id ticketId billable alerted supportCenter declaredBy
  }
}"""
SHIFT = """mutation Shift($input: OnCallShiftInput!) {
  createOnCallShift(input: $input) { id supportCenter staffEmail startsAt endsAt }
}"""
NOW = """query Now($center: String!) {
  onCallNow(supportCenter: $center) { supportCenter timezone staff shifts { id } }
}"""


@pytest.fixture
def client(
    gateway_tickets_client: httpx.AsyncClient, contracts_demo: ContractsDemo
) -> httpx.AsyncClient:
    return gateway_tickets_client


@pytest.fixture
def tokens(client: httpx.AsyncClient) -> TokenBox:
    return TokenBox(client)


def window(hours_ahead: float) -> dict[str, str]:
    start = datetime.now(UTC) + timedelta(hours=hours_ahead)
    return {"startsAt": start.isoformat(), "endsAt": (start + timedelta(hours=4)).isoformat()}


async def test_visits_are_requested_confirmed_and_refused_with_codes(
    client: httpx.AsyncClient, tokens: TokenBox, contracts_demo: ContractsDemo
) -> None:
    bo, agent, ana = await tokens(BO), await tokens(AGENT), await tokens(ANA)
    requested = (await data_of(client, bo, SCHEDULE, {"input": window(72)}))["scheduleVisit"]
    assert (requested["status"], requested["customerName"]) == ("REQUESTED", "Borealis Health")
    confirmed = (await data_of(client, agent, CONFIRM, {"id": requested["id"]}))["confirmVisit"]
    assert (confirmed["status"], confirmed["bookedBy"]) == ("CONFIRMED", AGENT)
    assert await error_code(client, bo, CONFIRM, {"id": requested["id"]}) == "ROLE_FORBIDDEN"
    assert await error_code(client, bo, SCHEDULE, {"input": window(40)}) == "VISIT_TOO_SOON"
    assert await error_code(client, ana, SCHEDULE, {"input": window(72)}) == "VISIT_NOT_IN_PLAN"
    # Another customer's visit answers as an unknown one.
    assert await error_code(client, ana, CANCEL, {"id": requested["id"]}) == "VISIT_NOT_FOUND"
    assert (await data_of(client, ana, VISITS))["visits"]["totalCount"] == 0
    assert (await data_of(client, bo, VISITS))["visits"]["totalCount"] == 1
    cancelled = (await data_of(client, bo, CANCEL, {"id": requested["id"]}))["cancelVisit"]
    assert (cancelled["status"], cancelled["cancelReason"]) == ("CANCELLED", "Moved to spring")


async def test_nobody_opens_a_case_with_the_visit_field(
    client: httpx.AsyncClient, tokens: TokenBox, contracts_demo: ContractsDemo
) -> None:
    bo = await tokens(BO)
    opened = (await data_of(client, bo, OPEN, {"input": case(contracts_demo)}))["openTicket"]
    read = await data_of(
        client,
        bo,
        "query($id: ID!) { ticketById(id: $id) { scheduledVisit } }",
        {"id": opened["id"]},
    )
    assert read["ticketById"]["scheduledVisit"] is False  # no visit runs
    for who, extra in ((BO, {}), (AGENT, {"contactId": contracts_demo.contacts[BO]})):
        variables: dict[str, Any] = {"input": case(contracts_demo, scheduledVisit=True, **extra)}
        assert await error_code(client, await tokens(who), OPEN, variables) == (
            "SCHEDULED_VISIT_READ_ONLY"
        )


async def test_emergencies_alert_the_rota_and_bill_where_the_plan_says(
    client: httpx.AsyncClient, tokens: TokenBox, contracts_demo: ContractsDemo
) -> None:
    manager, dan, ana = await tokens(MANAGER), await tokens(DAN), await tokens(ANA)
    start = datetime.now(UTC) - timedelta(hours=1)
    shift = {
        "supportCenter": "wallingford",
        "staffEmail": AGENT,
        "startsAt": start.isoformat(),
        "endsAt": (start + timedelta(hours=8)).isoformat(),
    }
    made = (await data_of(client, manager, SHIFT, {"input": shift}))["createOnCallShift"]
    assert await error_code(client, dan, SHIFT, {"input": shift}) == "ROLE_FORBIDDEN"
    now = (await data_of(client, manager, NOW, {"center": "wallingford"}))["onCallNow"]
    assert (now["staff"], now["timezone"], [s["id"] for s in now["shifts"]]) == (
        [AGENT],
        "Europe/London",
        [made["id"]],
    )
    opened = (await data_of(client, dan, OPEN, {"input": case(contracts_demo)}))["openTicket"]
    declared = (await data_of(client, dan, DECLARE, {"id": opened["id"]}))["declareEmergency"]
    assert (declared["billable"], declared["alerted"]) == (True, None)  # staff's to know
    read = "query($id: ID!) { ticketEmergency(ticketId: $id) { id alerted } }"
    seen = (await data_of(client, manager, read, {"id": opened["id"]}))["ticketEmergency"]
    assert seen == {"id": declared["id"], "alerted": [AGENT]}
    assert await error_code(client, dan, DECLARE, {"id": opened["id"]}) == (
        "EMERGENCY_ALREADY_DECLARED"
    )
    moved = await data_of(
        client,
        manager,
        'mutation($id: ID!) { updateOnCallShift(shiftId: $id, input: {note: "swap"}) '
        "{ id staffEmail note } }",
        {"id": made["id"]},
    )
    assert moved["updateOnCallShift"] == {"id": made["id"], "staffEmail": AGENT, "note": "swap"}
    other = (await data_of(client, ana, OPEN, {"input": case(contracts_demo)}))["openTicket"]
    assert await error_code(client, ana, DECLARE, {"id": other["id"]}) == "EMERGENCY_NOT_IN_PLAN"
    body = await graphql(client, ana, DECLARE, {"id": opened["id"]})
    assert body["errors"][0]["extensions"]["code"] == "TICKET_NOT_FOUND"
