"""Satisfaction surveys through the API on real PostgreSQL: sampled at closing (rate,
per-contact cooldown, opt-out), answered once by link or API, reported with SLA attainment."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from tickets.models import outbox_events
from tickets.survey import tokens
from tickets.survey.sampling import SamplingRule

ANSWERS = {"resolution": 5, "response_time": 4, "knowledge": 5, "overall": 4, "comment": "Quick."}


class Draws:
    """The sampling's random source, decided by the test (0.0 unless told)."""

    def __init__(self) -> None:
        self.values: Iterator[float] = iter(())

    def set(self, *values: float) -> None:
        self.values = iter(values)

    def __call__(self) -> float:
        return next(self.values, 0.0)


@pytest.fixture
def draws() -> Draws:
    return Draws()


@pytest.fixture
async def surveyed(live_app: FastAPI, live: httpx.AsyncClient, draws: Draws) -> httpx.AsyncClient:
    """Tickets asking half of the closings (the test decides the draws), no contact twice
    in 30 days, its links on a portal's address."""
    policy = live_app.state.ticket_policy
    surveys = replace(
        policy.surveys,
        rule=SamplingRule(rate=0.5, cooldown=timedelta(days=30)),
        draw=draws,
        link_base="http://portal.test/api/tickets",
    )
    live_app.state.ticket_policy = replace(policy, surveys=surveys)
    live_app.state.survey_policy = surveys
    return live


async def _closed_case(client, opener, agent, ids, *, contact=None) -> dict[str, Any]:
    body = {
        "product_id": ids["tideway"],
        "version": "3.1",
        "subject": f"Survey case {uuid.uuid4().hex[:6]}",
        "description": "For the survey.",
    }
    if contact:
        body["contact_id"] = ids[contact]
    ticket = (await client.post("/v1/tickets", json=body, headers=opener)).json()
    await client.post(
        f"/v1/tickets/{ticket['id']}/messages", json={"body": "On it."}, headers=agent
    )
    closed = await client.post(
        f"/v1/tickets/{ticket['id']}/close", json={"resolution": "Fixed."}, headers=agent
    )
    assert closed.status_code == 200, closed.text
    return ticket


async def _invitations(connection) -> list[dict[str, Any]]:
    """The ``survey.invited`` events for notify, oldest first."""
    rows = await connection.execute(
        select(outbox_events.c.envelope).where(
            outbox_events.c.type == "survey.invited", outbox_events.c.destination == "notify"
        )
    )
    return [e["data"] for e in sorted((r.envelope for r in rows), key=lambda e: e["time"])]


def _token(invitation: dict[str, Any]) -> str:
    url = invitation["survey_url"]
    assert url.startswith("http://portal.test/api/tickets/v1/surveys/")
    return url.rsplit("/", 1)[1]


async def test_a_sampled_closing_invites_and_the_link_answers_once(
    surveyed, login, demo_ids, tickets_connection, draws
):
    ana, agent = await login("ana@acme-water.example"), await login("agent@example.com")
    draws.set(0.1)  # below the rate: asked
    ticket = await _closed_case(surveyed, ana, agent, demo_ids)
    [invitation] = await _invitations(tickets_connection)
    assert (invitation["ticket_id"], invitation["contact_id"]) == (
        ticket["id"],
        demo_ids["ana@acme-water.example"],
    )
    token = _token(invitation)

    shown = await surveyed.get(f"/v1/surveys/{token}")  # no sign-in: the link is enough
    assert shown.status_code == 200, shown.text
    assert [q["name"] for q in shown.json()["questions"]] == [
        "resolution",
        "response_time",
        "knowledge",
        "communication",
        "overall",
    ]
    assert shown.json()["answered_at"] is None

    answered = await surveyed.post(f"/v1/surveys/{token}/answers", json=ANSWERS)
    assert answered.status_code == 201, answered.text
    assert {q["name"]: q["answer"] for q in answered.json()["questions"]}["communication"] is None
    assert answered.json()["answered_via"] == "link"

    again = await surveyed.post(f"/v1/surveys/{token}/answers", json={"overall": 1})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "SURVEY_ALREADY_ANSWERED")
    by_api = await surveyed.post(
        f"/v1/tickets/{ticket['id']}/survey/answers", json={"overall": 1}, headers=ana
    )
    assert (by_api.status_code, by_api.json()["error"]["code"]) == (409, "SURVEY_ALREADY_ANSWERED")
    staff_view = await surveyed.get(f"/v1/tickets/{ticket['id']}/survey", headers=agent)
    assert {q["name"]: q["answer"] for q in staff_view.json()["questions"]}["overall"] == 4
    assert staff_view.json()["comment"] == "Quick."


async def test_links_that_do_not_verify_or_expired(
    surveyed, live_app, login, demo_ids, tickets_connection
):
    ana, agent = await login("ana@acme-water.example"), await login("agent@example.com")
    await _closed_case(surveyed, ana, agent, demo_ids)
    token = _token((await _invitations(tickets_connection))[0])
    raw_id, expiry, mac = token.split(".")
    for bad in (
        f"{raw_id}.{int(expiry) + 1}.{mac}",
        f"{uuid.uuid4().hex}.{expiry}.{mac}",
        "x" * 30,
        f"{raw_id}.{expiry}.é{mac[1:]}",
    ):
        response = await surveyed.post(f"/v1/surveys/{bad}/answers", json=ANSWERS)
        assert (response.status_code, response.json()["error"]["code"]) == (
            404,
            "SURVEY_NOT_FOUND",
        )
    key = live_app.state.survey_policy.key
    expired = tokens.sign(key, uuid.UUID(hex=raw_id), datetime.now(UTC) - timedelta(seconds=1))
    response = await surveyed.post(f"/v1/surveys/{expired}/answers", json=ANSWERS)
    assert (response.status_code, response.json()["error"]["code"]) == (410, "SURVEY_EXPIRED")
    response = await surveyed.post(f"/v1/surveys/{token}/answers", json={"overall": 6})
    assert response.status_code == 422


async def test_the_rate_and_the_per_contact_cooldown(
    surveyed, login, demo_ids, tickets_connection, draws
):
    ana, agent = await login("ana@acme-water.example"), await login("agent@example.com")
    draws.set(0.7)  # above the rate 0.5: not asked
    first = await _closed_case(surveyed, ana, agent, demo_ids)
    assert await _invitations(tickets_connection) == []
    none = await surveyed.get(f"/v1/tickets/{first['id']}/survey", headers=agent)
    assert (none.status_code, none.json()["error"]["code"]) == (404, "SURVEY_NOT_FOUND")

    draws.set(0.2)  # below: asked
    await _closed_case(surveyed, ana, agent, demo_ids)
    draws.set(0.0)  # below again, but ana was asked within 30 days: not asked
    await _closed_case(surveyed, ana, agent, demo_ids)
    # Another contact is not held back by ana's cooldown.
    draws.set(0.0)
    await _closed_case(surveyed, agent, agent, demo_ids, contact="cora@cobalt.example")
    invited = [i["contact_id"] for i in await _invitations(tickets_connection)]
    assert invited == [demo_ids["ana@acme-water.example"], demo_ids["cora@cobalt.example"]]


async def test_a_contact_who_switched_surveys_off_is_never_asked(
    surveyed, login, demo_ids, tickets_connection, draws
):
    ana, agent = await login("ana@acme-water.example"), await login("agent@example.com")
    switched = await surveyed.put("/v1/surveys/opt-out", headers=ana)
    assert switched.status_code == 200 and switched.json()["opted_out"] is True
    refused = await surveyed.put("/v1/surveys/opt-out", headers=agent)
    assert (refused.status_code, refused.json()["error"]["code"]) == (
        403,
        "SURVEY_OPT_OUT_NOT_FOR_ROLE",
    )
    for _ in range(3):
        draws.set(0.0)
        await _closed_case(surveyed, ana, agent, demo_ids)
    assert await _invitations(tickets_connection) == []

    switched = await surveyed.delete("/v1/surveys/opt-out", headers=ana)
    assert switched.json()["opted_out"] is False
    await _closed_case(surveyed, ana, agent, demo_ids)
    [invitation] = await _invitations(tickets_connection)
    # "Never ask me again" from the invitation's own link.
    response = await surveyed.post(f"/v1/surveys/{_token(invitation)}/opt-out")
    assert response.status_code == 200 and response.json()["opted_out"] is True
    await surveyed.delete("/v1/surveys/opt-out", headers=ana)  # back on, but still cooling down
    assert (await surveyed.get("/v1/surveys/opt-out", headers=ana)).json()["opted_out"] is False


async def test_answering_through_the_api_is_for_the_contact_asked(surveyed, login, demo_ids, draws):
    ana, agent = await login("ana@acme-water.example"), await login("agent@example.com")
    bo = await login("bo@borealis.example")
    ticket = await _closed_case(surveyed, ana, agent, demo_ids)
    path = f"/v1/tickets/{ticket['id']}/survey/answers"
    response = await surveyed.post(path, json=ANSWERS, headers=agent)
    assert (response.status_code, response.json()["error"]["code"]) == (403, "SURVEY_NOT_YOURS")
    response = await surveyed.post(path, json=ANSWERS, headers=bo)  # another customer's case
    assert (response.status_code, response.json()["error"]["code"]) == (404, "TICKET_NOT_FOUND")
    response = await surveyed.post(path, json={}, headers=ana)  # every question optional
    assert response.status_code == 201 and response.json()["answered_via"] == "api"
    assert all(q["answer"] is None for q in response.json()["questions"])


async def test_results_per_agent_plan_customer_and_period_with_attainment(
    surveyed, login, demo_ids, tickets_connection, draws
):
    ana, agent = await login("ana@acme-water.example"), await login("agent@example.com")
    cora = demo_ids["cora@cobalt.example"]
    await _closed_case(surveyed, ana, agent, demo_ids)
    await _closed_case(surveyed, agent, agent, demo_ids, contact="cora@cobalt.example")
    invitations = await _invitations(tickets_connection)
    assert len(invitations) == 2
    ana_token = next(_token(i) for i in invitations if i["contact_id"] != cora)
    await surveyed.post(f"/v1/surveys/{ana_token}/answers", json=ANSWERS)

    now = datetime.now(UTC)
    params = {
        "from": (now - timedelta(hours=1)).isoformat(),
        "to": (now + timedelta(hours=1)).isoformat(),
    }
    by_customer = await surveyed.get(
        "/v1/reports/surveys", params={**params, "group_by": "customer"}, headers=agent
    )
    assert by_customer.status_code == 200, by_customer.text
    report = by_customer.json()
    assert (report["invited"], report["answered"]) == (2, 1)
    groups = {g["key"]: g for g in report["groups"]}
    acme = groups[demo_ids["Acme Water"]]
    assert (acme["invited"], acme["answered"], acme["response_rate"]) == (1, 1, 100.0)
    assert {s["question"]: s["average"] for s in acme["scores"]}["overall"] == 4.0
    first = next(m for m in acme["sla"] if m["metric"] == "FIRST_RESPONSE")
    assert (first["total"], first["within_target"]) == (1, 1)
    assert groups[demo_ids["Cobalt Logistics"]]["answered"] == 0

    for group_by, keys in (
        ("plan", {"infocare", "invantive-subscription"}),
        ("period", {now.strftime("%Y-%m")}),
    ):
        response = await surveyed.get(
            "/v1/reports/surveys", params={**params, "group_by": group_by}, headers=agent
        )
        assert {g["label"] for g in response.json()["groups"]} == keys
    by_agent = await surveyed.get(
        "/v1/reports/surveys", params={**params, "group_by": "agent"}, headers=agent
    )
    assert sum(g["invited"] for g in by_agent.json()["groups"]) == 2

    # A customer administrator sees its own customer only; a plain contact none.
    own = await surveyed.get(
        "/v1/reports/surveys",
        params={**params, "group_by": "customer", "customer_id": demo_ids["Cobalt Logistics"]},
        headers=ana,
    )
    assert [g["key"] for g in own.json()["groups"]] == [demo_ids["Acme Water"]]
    ben = await login("ben@borealis.example")
    response = await surveyed.get(
        "/v1/reports/surveys", params={**params, "group_by": "plan"}, headers=ben
    )
    assert (response.status_code, response.json()["error"]["code"]) == (403, "ROLE_FORBIDDEN")


async def test_a_reopened_case_is_not_asked_twice_and_its_reopening_says_when_it_closed(
    surveyed, login, demo_ids, tickets_connection, draws
):
    ana, agent = await login("ana@acme-water.example"), await login("agent@example.com")
    ticket = await _closed_case(surveyed, ana, agent, demo_ids)
    closed_at = (await surveyed.get(f"/v1/tickets/{ticket['id']}", headers=agent)).json()[
        "closed_at"
    ]
    reopened = await surveyed.post(
        f"/v1/tickets/{ticket['id']}/reopen", json={"reason": "Back again"}, headers=ana
    )
    assert reopened.status_code == 200, reopened.text
    rows = await tickets_connection.execute(
        select(outbox_events.c.envelope).where(
            outbox_events.c.type == "ticket.reopened", outbox_events.c.destination == "contracts"
        )
    )
    [event] = [r.envelope for r in rows]
    # Contracts gives the quota back only within the plan's window after this close.
    assert datetime.fromisoformat(event["data"]["closed_at"]) == datetime.fromisoformat(closed_at)
    draws.set(0.0)
    closed = await surveyed.post(
        f"/v1/tickets/{ticket['id']}/close", json={"resolution": "Fixed again."}, headers=agent
    )
    assert closed.status_code == 200
    assert len(await _invitations(tickets_connection)) == 1
