"""The knowledge base through GraphQL, with real tokens from contracts, against the real
tickets and contracts services (in-process) on real PostgreSQL: staff write, publish and
link; a customer's contact gets suggestions while writing a case, marks one helpful or opens
the case all the same; staff read the deflection report. Refusals carry tickets' codes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from careplane_shared.testing import TokenBox
from careplane_shared.testing.graphql import data_of, graphql, only_error

from .conftest import ContractsDemo

AGENT = "agent@example.com"
ANA = "ana@acme-water.example"  # InfoCare, Acme Water
CORA = "cora@cobalt.example"  # Cobalt Logistics

ARTICLE = (
    "id slug language status visibility title body published { number state } draft { number }"
)

CREATE = f"""mutation Create($input: CreateKnowledgeArticleInput!) {{
  createKnowledgeArticle(input: $input) {{ {ARTICLE} }}
}}"""
PUBLISH = f"""mutation Publish($id: ID!) {{ publishKnowledgeArticle(id: $id) {{ {ARTICLE} }} }}"""
UPDATE = f"""mutation Update($id: ID!, $input: UpdateKnowledgeArticleInput!) {{
  updateKnowledgeArticle(id: $id, input: $input) {{ {ARTICLE} }}
}}"""
SEARCH = """query Search($search: String, $language: Language) {
  knowledgeArticles(search: $search, language: $language, first: 5) {
    totalCount nodes { id slug rank titleHighlight highlight }
  }
}"""
SUGGEST = """query Suggest($subject: String!, $description: String!, $suggestionId: ID) {
  knowledgeSuggestions(subject: $subject, description: $description,
                       suggestionId: $suggestionId) {
    suggestionId articles { id slug highlight }
  }
}"""
HELPFUL = """mutation Helpful($suggestionId: ID!, $articleId: ID!) {
  markKnowledgeHelpful(suggestionId: $suggestionId, articleId: $articleId) {
    outcome helpfulArticleId ticketId
  }
}"""
OPEN = """mutation Open($input: OpenTicketInput!) { openTicket(input: $input) { id } }"""
RECORD = """query Record($id: ID!) { knowledgeSuggestion(id: $id) { outcome ticketId } }"""
REPORT = """query { knowledgeDeflectionReport {
  suggestions casesOpened deflected
  articles { slug shown helpful casesOpened deflectionRate helpfulRate }
} }"""
LINK = """mutation Link($ticketId: ID!, $articleId: ID!) {
  linkKnowledgeArticle(ticketId: $ticketId, articleId: $articleId) { slug linkedBy }
}"""
LINKS = """query Links($ticketId: ID!) { knowledgeLinks(ticketId: $ticketId) { slug linkedBy } }"""


@pytest.fixture
def client(
    gateway_tickets_client: httpx.AsyncClient, contracts_demo: ContractsDemo
) -> httpx.AsyncClient:
    return gateway_tickets_client


@pytest.fixture
def tokens(client: httpx.AsyncClient) -> TokenBox:
    return TokenBox(client)


async def _published(client: httpx.AsyncClient, agent: str, **fields: Any) -> dict[str, Any]:
    created = await data_of(client, agent, CREATE, {"input": fields})
    article = created["createKnowledgeArticle"]
    assert (article["status"], article["draft"]["number"]) == ("DRAFT", 1)
    published = await data_of(client, agent, PUBLISH, {"id": article["id"]})
    result: dict[str, Any] = published["publishKnowledgeArticle"]
    return result


async def test_articles_suggestions_deflection_and_links(
    client: httpx.AsyncClient, tokens: TokenBox, contracts_demo: ContractsDemo
) -> None:
    agent, ana, cora = await tokens(AGENT), await tokens(ANA), await tokens(CORA)
    en = await _published(
        client,
        agent,
        slug="reset-password",
        language="EN",
        title="Reset your password",
        body="Forgot your password? Choose 'Forgot password' on the sign-in page.",
    )
    nl = await _published(
        client,
        agent,
        slug="wachtwoord-herstellen",
        language="NL",
        title="Wachtwoord herstellen",
        body="Wachtwoord vergeten? Kies 'Wachtwoord vergeten' op de aanmeldpagina.",
    )
    assert en["published"] == {"number": 1, "state": "PUBLISHED"}

    # Customers search with stemming per language, highlights included.
    found = await data_of(client, ana, SEARCH, {"search": "wachtwoorden", "language": "NL"})
    page = found["knowledgeArticles"]
    assert page["totalCount"] == 1
    assert page["nodes"][0]["id"] == nl["id"]
    assert "<mark>" in page["nodes"][0]["titleHighlight"]

    # A pending edit: customers keep reading the published text.
    edited = await data_of(
        client, agent, UPDATE, {"id": en["id"], "input": {"body": "Use the reset link."}}
    )
    assert edited["updateKnowledgeArticle"]["draft"] == {"number": 2}
    read = await data_of(
        client,
        ana,
        "query($id: ID!) { knowledgeArticle(id: $id) { body draft { number } } }",
        {"id": en["id"]},
    )
    assert read["knowledgeArticle"]["body"].startswith("Forgot your password?")
    assert read["knowledgeArticle"]["draft"] is None

    # Ana writes a case: a suggestion, then she opens the case all the same.
    ask = {"subject": "Password", "description": "I forgot my password"}
    suggested = (await data_of(client, ana, SUGGEST, ask))["knowledgeSuggestions"]
    assert suggested["articles"][0]["id"] == en["id"]
    suggestion = suggested["suggestionId"]
    case = {
        "productId": contracts_demo.product_id,
        "version": "3.1",
        "subject": "Password",
        "description": "I forgot my password",
        "suggestionId": suggestion,
    }
    ticket = (await data_of(client, ana, OPEN, {"input": case}))["openTicket"]
    record = (await data_of(client, ana, RECORD, {"id": suggestion}))["knowledgeSuggestion"]
    assert record == {"outcome": "CASE_OPENED", "ticketId": ticket["id"]}
    closed = await graphql(
        client, ana, HELPFUL, {"suggestionId": suggestion, "articleId": en["id"]}
    )
    assert only_error(closed)["extensions"]["code"] == "SUGGESTION_CLOSED"
    # Another customer's suggestion answers as one that does not exist.
    theirs = await graphql(client, cora, RECORD, {"id": suggestion})
    assert only_error(theirs)["extensions"]["code"] == "SUGGESTION_NOT_FOUND"

    # Cora is helped: deflected.
    cora_ask = {"subject": "Wachtwoord", "description": "wachtwoord vergeten"}
    hers = (await data_of(client, cora, SUGGEST, cora_ask))["knowledgeSuggestions"]
    assert hers["articles"][0]["id"] == nl["id"]
    marked = await data_of(
        client, cora, HELPFUL, {"suggestionId": hers["suggestionId"], "articleId": nl["id"]}
    )
    assert marked["markKnowledgeHelpful"]["outcome"] == "DEFLECTED"

    report = (await data_of(client, agent, REPORT))["knowledgeDeflectionReport"]
    assert (report["suggestions"], report["casesOpened"], report["deflected"]) == (2, 1, 1)
    rows = {row["slug"]: row for row in report["articles"]}
    assert rows["reset-password"]["deflectionRate"] == 0.0
    assert rows["wachtwoord-herstellen"]["deflectionRate"] == 1.0
    assert rows["wachtwoord-herstellen"]["helpfulRate"] == 1.0
    refused = await graphql(client, ana, REPORT)
    assert only_error(refused)["extensions"]["code"] == "ROLE_FORBIDDEN"

    # Staff link the article to the case; the customer sees the link, not who made it.
    linked = await data_of(client, agent, LINK, {"ticketId": ticket["id"], "articleId": en["id"]})
    assert linked["linkKnowledgeArticle"]["linkedBy"]
    links = await data_of(client, ana, LINKS, {"ticketId": ticket["id"]})
    assert links["knowledgeLinks"] == [{"slug": "reset-password", "linkedBy": None}]
    forbidden = await graphql(client, ana, LINK, {"ticketId": ticket["id"], "articleId": nl["id"]})
    assert only_error(forbidden)["extensions"]["code"] == "KNOWLEDGE_FORBIDDEN"
    not_theirs = await graphql(client, cora, LINKS, {"ticketId": ticket["id"]})
    assert only_error(not_theirs)["extensions"]["code"] == "TICKET_NOT_FOUND"


async def test_customers_do_not_write_articles(client: httpx.AsyncClient, tokens: TokenBox) -> None:
    ana = await tokens(ANA)
    body = await graphql(
        client,
        ana,
        CREATE,
        {"input": {"slug": "mine", "language": "EN", "title": "Mine", "body": "Mine."}},
    )
    assert only_error(body)["extensions"]["code"] == "KNOWLEDGE_FORBIDDEN"
    missing = await graphql(client, ana, PUBLISH, {"id": "00000000-0000-4000-8000-000000000000"})
    assert only_error(missing)["extensions"]["code"] == "KNOWLEDGE_FORBIDDEN"
    bad = await graphql(client, ana, PUBLISH, {"id": "not-an-id"})
    assert only_error(bad)["extensions"]["code"] == "VALIDATION_ERROR"
