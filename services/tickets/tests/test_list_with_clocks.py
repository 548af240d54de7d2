"""A page of cases with their clocks in one request (``include=sla``): what a page that shows
clocks (the gateway's page of 50) asks for, instead of one request per case."""

from __future__ import annotations

from careplane_shared.testing.sql import statements
from tickets.ticket.schemas import TicketRead, TicketSummary


def _case(ids, **extra):
    return {
        "product_id": ids["tideway"],
        "version": "3.1",
        "subject": "Model run stops at 42%",
        "description": "The hydraulic run stops with error E-1042 on the Riverside model.",
        **extra,
    }


def _without_time(case):
    """A case as two reads a moment apart both give it: a running clock's explanation ends
    with the instant it was read."""
    return {**case, "sla": [{**c, "explanation": c["explanation"][:-1]} for c in case["sla"]]}


async def test_a_page_with_clocks_is_the_cases_as_read_one_by_one(
    live, login, demo_ids, tickets_connection
):
    ana = await login("ana@acme-water.example")
    agent = await login("agent@example.com")
    opened = [
        (await live.post("/v1/tickets", json=_case(demo_ids), headers=ana)).json() for _ in range(3)
    ]
    first = opened[0]["id"]
    await live.post(f"/v1/tickets/{first}/close", json={"resolution": "Done."}, headers=agent)

    plain = (await live.get("/v1/tickets", params={"limit": 3}, headers=ana)).json()
    assert all(set(row) == set(TicketSummary.model_fields) for row in plain["items"])

    with statements(tickets_connection) as seen:
        response = await live.get("/v1/tickets", params={"limit": 3, "include": "sla"}, headers=ana)
    assert response.status_code == 200, response.text
    page = response.json()
    # The count and the page; neither the histories nor anything per case.
    assert len(seen) == 2, seen
    assert (page["total"], page["limit"], page["offset"]) == (
        plain["total"],
        plain["limit"],
        plain["offset"],
    )
    assert [row["id"] for row in page["items"]] == [row["id"] for row in plain["items"]]
    assert {o["id"] for o in opened} == {row["id"] for row in page["items"]}
    for row, summary in zip(page["items"], plain["items"], strict=True):
        assert set(row) == set(TicketRead.model_fields)
        assert {key: row[key] for key in summary} == summary
        one = (await live.get(f"/v1/tickets/{row['id']}", headers=ana)).json()
        assert _without_time(row) == _without_time(one)
    closed = next(row for row in page["items"] if row["id"] == first)
    assert closed["status"] == "CLOSED" and all(c["stopped_at"] for c in closed["sla"])


async def test_the_triage_queue_comes_with_clocks_too(live, login, demo_ids):
    ana = await login("ana@acme-water.example")
    agent = await login("agent@example.com")
    for priority in ("LOW", "HIGH"):
        await live.post("/v1/tickets", json=_case(demo_ids, priority=priority), headers=ana)
    plain = (await live.get("/v1/triage", headers=agent)).json()
    full = (await live.get("/v1/triage", params={"include": "sla"}, headers=agent)).json()
    assert [row["id"] for row in full["items"]] == [row["id"] for row in plain["items"]]
    assert all(row["sla"] and row["description"] for row in full["items"])


async def test_include_knows_only_sla_and_says_so_in_the_openapi_document(live, login):
    ana = await login("ana@acme-water.example")
    response = await live.get("/v1/tickets", params={"include": "history"}, headers=ana)
    assert response.status_code == 422

    document = (await live.get("/openapi.json")).json()
    for path in ("/v1/tickets", "/v1/triage"):
        (include,) = [
            p for p in document["paths"][path]["get"]["parameters"] if p["name"] == "include"
        ]
        assert include["in"] == "query" and not include.get("required", False)
        assert "sla" in str(include["schema"])
        assert "GET /v1/tickets/{ticket_id}" in include["description"]
