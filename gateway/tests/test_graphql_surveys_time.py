"""Surveys and time entries through ``/graphql``, against the real tickets and contracts
services (in-process) on real PostgreSQL with the demo data."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from careplane_shared.testing import TokenBox
from careplane_shared.testing.graphql import data_of, graphql, only_error
from tickets.models import outbox_events

from .conftest import ContractsDemo

AGENT = "agent@example.com"
ANA = "ana@acme-water.example"

OPEN = """mutation Open($input: OpenTicketInput!) { openTicket(input: $input) { id number } }"""
CLOSE = """mutation Close($id: ID!) {
  changeTicketStatus(ticketId: $id, status: CLOSED, reason: "Fixed") { status }
}"""
CASE = """query Case($id: ID!) {
  ticketById(id: $id) {
    survey { number answeredAt questions { name answer } }
    timeEntries { totalMinutes billableMinutes billedMinutes entries { minutes billedMinutes } }
  }
}"""
ANSWER = """mutation Answer($id: ID, $token: String, $answers: SurveyAnswersInput!) {
  answerSurvey(ticketId: $id, token: $token, answers: $answers) {
    answeredVia questions { name answer } comment
  }
}"""
ADD = """mutation Add($id: ID!, $input: TimeEntryInput!) {
  addTimeEntry(ticketId: $id, input: $input) { id minutes billable billedMinutes activity }
}"""
CHANGE = """mutation Change($id: ID!, $entry: ID!, $input: TimeEntryChange!) {
  updateTimeEntry(ticketId: $id, entryId: $entry, input: $input) { minutes }
}"""
DELETE = (
    """mutation Delete($id: ID!, $entry: ID!) { deleteTimeEntry(ticketId: $id, entryId: $entry) }"""
)
REPORT = """query Report($from: DateTime!, $to: DateTime!) {
  surveyReport(groupBy: CUSTOMER, from: $from, to: $to) {
    invited answered groups { key invited answered scores { question average } sla { metric } }
  }
}"""
OPT_OUT = """mutation Off($off: Boolean!) { setSurveyOptOut(optedOut: $off) { optedOut } }"""


@pytest.fixture
def client(
    gateway_tickets_client: httpx.AsyncClient, contracts_demo: ContractsDemo, tickets_app: FastAPI
) -> httpx.AsyncClient:
    """Every closing of an eligible contact is asked (rate 1)."""
    policy = tickets_app.state.ticket_policy
    surveys = replace(policy.surveys, draw=lambda: 0.0)
    tickets_app.state.ticket_policy = replace(policy, surveys=surveys)
    tickets_app.state.survey_policy = surveys
    return gateway_tickets_client


async def _open(client, token, contracts_demo) -> dict:
    body = {
        "productId": str(contracts_demo.product_id),
        "version": "3.1",
        "subject": "Survey and time",
        "description": "Through GraphQL.",
    }
    return (await data_of(client, token, OPEN, {"input": body}))["openTicket"]


async def test_a_closed_case_is_surveyed_and_answered_once(client, contracts_demo):
    tokens = TokenBox(client)
    ana, agent = await tokens(ANA), await tokens(AGENT)
    ticket = await _open(client, ana, contracts_demo)
    ids = {"id": ticket["id"]}
    assert (await data_of(client, agent, CLOSE, ids))["changeTicketStatus"]["status"] == "CLOSED"
    survey = (await data_of(client, agent, CASE, ids))["ticketById"]["survey"]
    assert (survey["number"], survey["answeredAt"]) == (ticket["number"], None)

    answers = {"overall": 5, "knowledge": 4, "comment": "Thanks"}
    answered = (await data_of(client, ana, ANSWER, {**ids, "answers": answers}))["answerSurvey"]
    assert answered["answeredVia"] == "api"
    assert {q["name"]: q["answer"] for q in answered["questions"]}["overall"] == 5
    again = await graphql(client, ana, ANSWER, {**ids, "answers": answers})
    assert only_error(again)["extensions"]["code"] == "SURVEY_ALREADY_ANSWERED"
    not_asked = await graphql(client, agent, ANSWER, {**ids, "answers": answers})
    assert only_error(not_asked)["extensions"]["code"] == "SURVEY_NOT_YOURS"
    neither = await graphql(client, ana, ANSWER, {"answers": answers})
    assert only_error(neither)["extensions"]["code"] == "VALIDATION_ERROR"
    bad_link = await graphql(client, ana, ANSWER, {"token": "x" * 40, "answers": answers})
    assert only_error(bad_link)["extensions"]["code"] == "SURVEY_NOT_FOUND"

    now = datetime.now(UTC)
    period = {
        "from": (now - timedelta(hours=1)).isoformat(),
        "to": (now + timedelta(hours=1)).isoformat(),
    }
    report = (await data_of(client, agent, REPORT, period))["surveyReport"]
    assert (report["invited"], report["answered"]) == (1, 1)
    [group] = report["groups"]
    assert {s["question"]: s["average"] for s in group["scores"]}["overall"] == 5.0
    assert "FIRST_RESPONSE" in {m["metric"] for m in group["sla"]}

    off = (await data_of(client, ana, OPT_OUT, {"off": True}))["setSurveyOptOut"]
    assert off["optedOut"] is True
    second = await _open(client, ana, contracts_demo)
    await data_of(client, agent, CLOSE, {"id": second["id"]})
    assert (await data_of(client, agent, CASE, {"id": second["id"]}))["ticketById"][
        "survey"
    ] is None


async def test_staff_record_time_and_billable_time_is_frozen(client, contracts_demo):
    tokens = TokenBox(client)
    ana, agent = await tokens(ANA), await tokens(AGENT)
    ticket = await _open(client, ana, contracts_demo)
    ids = {"id": ticket["id"]}
    plain = (
        await data_of(
            client, agent, ADD, {**ids, "input": {"minutes": 12, "activity": "INVESTIGATION"}}
        )
    )["addTimeEntry"]
    billed = (
        await data_of(
            client,
            agent,
            ADD,
            {**ids, "input": {"minutes": 35, "activity": "OTHER_SUPPORT", "billable": True}},
        )
    )["addTimeEntry"]
    assert (billed["billable"], billed["billedMinutes"]) == (True, 60)
    changed = await data_of(
        client, agent, CHANGE, {**ids, "entry": plain["id"], "input": {"minutes": 15}}
    )
    assert changed["updateTimeEntry"]["minutes"] == 15
    frozen = await graphql(client, agent, DELETE, {**ids, "entry": billed["id"]})
    assert only_error(frozen)["extensions"]["code"] == "TIME_ENTRY_BILLED"
    sheet = (await data_of(client, agent, CASE, ids))["ticketById"]["timeEntries"]
    assert (sheet["totalMinutes"], sheet["billableMinutes"], sheet["billedMinutes"]) == (50, 35, 60)
    # A customer sees no time sheet, and may not record time.
    assert (await data_of(client, ana, CASE, ids))["ticketById"]["timeEntries"] is None
    refused = await graphql(
        client, ana, ADD, {**ids, "input": {"minutes": 5, "activity": "COMMUNICATION"}}
    )
    assert only_error(refused)["extensions"]["code"] == "ROLE_FORBIDDEN"
    assert (await data_of(client, agent, DELETE, {**ids, "entry": plain["id"]}))["deleteTimeEntry"]


async def test_the_survey_link_works_through_the_gateway(
    client, contracts_demo, tickets_connection
):
    """Anonymous over REST (the link is the credential), or with the token through GraphQL."""
    tokens = TokenBox(client)
    ana, agent = await tokens(ANA), await tokens(AGENT)
    ticket = await _open(client, ana, contracts_demo)
    await data_of(client, agent, CLOSE, {"id": ticket["id"]})
    rows = await tickets_connection.execute(
        select(outbox_events.c.envelope).where(
            outbox_events.c.type == "survey.invited", outbox_events.c.destination == "notify"
        )
    )
    [invitation] = [r.envelope["data"] for r in rows]
    link = invitation["survey_url"].rsplit("/", 1)[1]
    shown = await client.get(f"/api/tickets/v1/surveys/{link}")
    assert shown.status_code == 200, shown.text
    assert shown.json()["number"] == ticket["number"]
    answered = await data_of(client, ana, ANSWER, {"token": link, "answers": {"overall": 3}})
    assert answered["answerSurvey"]["answeredVia"] == "link"
    again = await client.post(f"/api/tickets/v1/surveys/{link}/answers", json={"overall": 1})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "SURVEY_ALREADY_ANSWERED")
