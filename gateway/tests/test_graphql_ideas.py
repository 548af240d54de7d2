"""Ideas, feature requests and With Development through ``/graphql``, with real tokens from
contracts, against the real tickets and contracts services (in-process) on real PostgreSQL:
every mutation for the roles that may call it, and the refusals with tickets' codes."""

from __future__ import annotations

import time
from typing import Any

import httpx

from careplane_shared.settings import dev_secret
from careplane_shared.testing import TokenBox
from careplane_shared.testing.graphql import data_of, graphql, only_error
from tickets.development.rules import signature

from .conftest import ContractsDemo
from .test_graphql_tickets import ADMIN, AGENT, ANA, BEN, CORA, client, open_ticket, tokens

__all__ = ["client", "tokens"]  # the fixtures, shared with the tickets' tests

IDEA = "id title status votes asked voted plannedVersion shippedVersion public productId"

ROUTE = f"""mutation Route($ticketId: ID!, $route: FeatureRoute!, $ideaId: ID,
                         $idea: NewIdeaInput, $note: String) {{
  routeFeatureRequest(ticketId: $ticketId, route: $route, ideaId: $ideaId, idea: $idea,
                      note: $note) {{
    route note routedBy idea {{ {IDEA} }} ticket {{ id status resolution }}
  }}
}}"""
VOTE = f"mutation Vote($id: ID!) {{ voteIdea(id: $id) {{ {IDEA} }} }}"
UNVOTE = f"mutation Unvote($id: ID!) {{ unvoteIdea(id: $id) {{ {IDEA} }} }}"
PLAN = f"""mutation Plan($id: ID!, $version: String) {{
  markIdeaPlanned(id: $id, version: $version) {{ {IDEA} }}
}}"""
SHIP = f"""mutation Ship($id: ID!, $version: String!) {{
  markIdeaShipped(id: $id, version: $version) {{ {IDEA} }}
}}"""
IDEAS = f"""query Ideas($status: [IdeaStatus!], $search: String) {{
  ideas(status: $status, search: $search, first: 10) {{ totalCount nodes {{ {IDEA} }} }}
}}"""
ONE = f"query Idea($id: ID!) {{ idea(id: $id) {{ {IDEA} }} }}"
LINK = "ticketId issueKey issueUrl fixedVersion fixedAt fixNote"
HAND = f"""mutation Hand($ticketId: ID!, $issueKey: String!, $issueUrl: String!) {{
  handToDevelopment(ticketId: $ticketId, issueKey: $issueKey, issueUrl: $issueUrl) {{
    development {{ {LINK} }} ticket {{ id status }}
  }}
}}"""
FIX = f"""mutation Fix($ticketId: ID!, $version: String!, $note: String) {{
  reportDevelopmentFix(ticketId: $ticketId, version: $version, note: $note) {{
    development {{ {LINK} }} ticket {{ id status }}
  }}
}}"""
DEVELOPMENT = f"query Dev($ticketId: ID!) {{ ticketDevelopment(ticketId: $ticketId) {{ {LINK} }} }}"

CASE_DEVELOPMENT = f"""query Case($id: ID!) {{
  ticketById(id: $id) {{ id status development {{ {LINK} }} }}
}}"""


def _code(body: dict[str, Any]) -> str:
    return str(only_error(body)["extensions"]["code"])


async def test_a_feature_request_becomes_an_idea_that_contacts_vote_for_and_staff_ship(
    client: httpx.AsyncClient, tokens: TokenBox, contracts_demo: ContractsDemo
) -> None:
    ana, cora, ben = await tokens(ANA), await tokens(CORA), await tokens(BEN)
    agent, admin = await tokens(AGENT), await tokens(ADMIN)
    asked = await open_ticket(client, ana, contracts_demo, type="feature_request")
    new_idea = {"title": "GeoJSON export", "description": "Export the network as GeoJSON."}
    variables = {"ticketId": asked["id"], "route": "DEVELOPMENT", "idea": new_idea}

    refused = await graphql(client, ana, ROUTE, variables)
    assert _code(refused) == "ROLE_FORBIDDEN"
    routed = (await data_of(client, agent, ROUTE, variables))["routeFeatureRequest"]
    assert routed["route"] == "DEVELOPMENT" and routed["ticket"]["status"] == "CLOSED"
    idea = routed["idea"]
    assert (idea["title"], idea["asked"], idea["status"]) == ("GeoJSON export", 1, "OPEN")
    assert idea["productId"] == contracts_demo.product_id
    again = await graphql(client, agent, ROUTE, {**variables, "route": "SALES", "idea": None})
    assert _code(again) in ("FEATURE_REQUEST_ROUTED", "TICKET_CLOSED")

    # Another customer's case joins the same idea.
    second = await open_ticket(client, cora, contracts_demo, type="feature_request")
    merged = await data_of(
        client,
        agent,
        ROUTE,
        {"ticketId": second["id"], "route": "DEVELOPMENT", "ideaId": idea["id"]},
    )
    assert merged["routeFeatureRequest"]["idea"]["asked"] == 2

    voted = (await data_of(client, ben, VOTE, {"id": idea["id"]}))["voteIdea"]
    assert voted["votes"] == 1 and voted["voted"] is True
    assert _code(await graphql(client, ben, VOTE, {"id": idea["id"]})) == "ALREADY_VOTED"
    assert _code(await graphql(client, admin, VOTE, {"id": idea["id"]})) == "VOTE_FORBIDDEN"
    unvoted = (await data_of(client, ben, UNVOTE, {"id": idea["id"]}))["unvoteIdea"]
    assert unvoted["votes"] == 0 and unvoted["voted"] is False
    assert _code(await graphql(client, ben, UNVOTE, {"id": idea["id"]})) == "VOTE_NOT_FOUND"
    await data_of(client, ben, VOTE, {"id": idea["id"]})

    listed = (await data_of(client, cora, IDEAS, {"search": "GeoJSON"}))["ideas"]
    assert listed["totalCount"] == 1 and listed["nodes"][0]["votes"] == 1

    assert _code(await graphql(client, ana, PLAN, {"id": idea["id"], "version": "3.3"})) == (
        "ROLE_FORBIDDEN"
    )
    planned = await data_of(client, admin, PLAN, {"id": idea["id"], "version": "3.3"})
    assert planned["markIdeaPlanned"]["status"] == "PLANNED"
    shipped = await data_of(client, admin, SHIP, {"id": idea["id"], "version": "3.3"})
    assert shipped["markIdeaShipped"]["shippedVersion"] == "3.3"
    late = await graphql(client, cora, VOTE, {"id": idea["id"]})
    assert _code(late) == "IDEA_SHIPPED"
    by_status = (await data_of(client, ana, IDEAS, {"status": ["SHIPPED"]}))["ideas"]
    assert [n["id"] for n in by_status["nodes"]] == [idea["id"]]
    one = (await data_of(client, ana, ONE, {"id": idea["id"]}))["idea"]
    assert one["status"] == "SHIPPED"


async def test_a_paid_customization_goes_to_sales(
    client: httpx.AsyncClient, tokens: TokenBox, contracts_demo: ContractsDemo
) -> None:
    ana, agent = await tokens(ANA), await tokens(AGENT)
    asked = await open_ticket(client, ana, contracts_demo, type="feature_request")
    routed = await data_of(
        client, agent, ROUTE, {"ticketId": asked["id"], "route": "SALES", "note": "Board report"}
    )
    result = routed["routeFeatureRequest"]
    assert result["route"] == "SALES" and result["idea"] is None
    assert result["ticket"]["status"] == "OPEN" and result["note"] == "Board report"
    question = await open_ticket(client, ana, contracts_demo, type="question")
    wrong = await graphql(client, agent, ROUTE, {"ticketId": question["id"], "route": "SALES"})
    assert _code(wrong) == "NOT_A_FEATURE_REQUEST"


async def test_a_defect_goes_to_development_and_comes_back_fixed(
    client: httpx.AsyncClient, tokens: TokenBox, contracts_demo: ContractsDemo
) -> None:
    ana, agent = await tokens(ANA), await tokens(AGENT)
    defect = await open_ticket(client, ana, contracts_demo, type="incident")
    ids = {"ticketId": defect["id"]}
    hand = {**ids, "issueKey": "TW-4711", "issueUrl": "https://tracker.example/TW-4711"}

    assert _code(await graphql(client, ana, DEVELOPMENT, ids)) == "DEVELOPMENT_LINK_NOT_FOUND"
    assert _code(await graphql(client, ana, HAND, hand)) == "ROLE_FORBIDDEN"
    handed = (await data_of(client, agent, HAND, hand))["handToDevelopment"]
    assert handed["ticket"]["status"] == "WITH_DEVELOPMENT"
    assert handed["development"]["issueUrl"] == "https://tracker.example/TW-4711"
    assert _code(await graphql(client, agent, HAND, hand)) == "ALREADY_WITH_DEVELOPMENT"
    seen = (await data_of(client, ana, DEVELOPMENT, ids))["ticketDevelopment"]
    assert seen["issueKey"] == "TW-4711" and seen["issueUrl"] is None

    fix = {**ids, "version": "3.2.1", "note": "Import fixed."}
    assert _code(await graphql(client, ana, FIX, fix)) == "ROLE_FORBIDDEN"
    fixed = (await data_of(client, agent, FIX, fix))["reportDevelopmentFix"]
    assert fixed["ticket"]["status"] == "PENDING"
    assert fixed["development"]["fixedVersion"] == "3.2.1"
    assert _code(await graphql(client, agent, FIX, fix)) == "NOT_WITH_DEVELOPMENT"


async def test_a_case_shows_its_development_reference(
    client: httpx.AsyncClient, tokens: TokenBox, contracts_demo: ContractsDemo
) -> None:
    """``Ticket.development``: null until the case goes to development, then the tracker
    reference (its address for staff only), in the same answer as the case."""
    ana, agent = await tokens(ANA), await tokens(AGENT)
    defect = await open_ticket(client, ana, contracts_demo, type="incident")
    case = {"id": defect["id"]}
    before = (await data_of(client, ana, CASE_DEVELOPMENT, case))["ticketById"]
    assert before["development"] is None
    hand = {"ticketId": defect["id"], "issueKey": "TW-4712", "issueUrl": "https://t.example/4712"}
    await data_of(client, agent, HAND, hand)

    staff = (await data_of(client, agent, CASE_DEVELOPMENT, case))["ticketById"]
    assert staff["status"] == "WITH_DEVELOPMENT"
    assert staff["development"]["ticketId"] == defect["id"]
    assert (staff["development"]["issueKey"], staff["development"]["issueUrl"]) == (
        "TW-4712",
        "https://t.example/4712",
    )
    customer = (await data_of(client, ana, CASE_DEVELOPMENT, case))["ticketById"]
    assert (customer["development"]["issueKey"], customer["development"]["issueUrl"]) == (
        "TW-4712",
        None,
    )


async def test_the_trackers_webhook_passes_through_the_gateway_unchanged(
    client: httpx.AsyncClient, tokens: TokenBox, contracts_demo: ContractsDemo
) -> None:
    """The signature covers the exact bytes: the gateway's REST route must pass them as sent."""
    ana, agent = await tokens(ANA), await tokens(AGENT)
    defect = await open_ticket(client, ana, contracts_demo, type="incident")
    hand = {"ticketId": defect["id"], "issueKey": "TW-9", "issueUrl": "https://tracker.example/9"}
    await data_of(client, agent, HAND, hand)
    body = b'{"issue_key": "TW-9",   "version": "3.2.9"}'
    stamp = str(int(time.time()))
    headers = {
        "content-type": "application/json",
        "x-careplane-timestamp": stamp,
        "x-careplane-signature": signature(dev_secret("tracker-webhook"), stamp, body),
    }
    answer = await client.post("/api/tickets/v1/development/webhook", content=body, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["moved"] == [defect["id"]]
    forged = await client.post(
        "/api/tickets/v1/development/webhook", content=body + b" ", headers=headers
    )
    assert forged.status_code == 401
    assert forged.json()["error"]["code"] == "WEBHOOK_SIGNATURE_INVALID"
