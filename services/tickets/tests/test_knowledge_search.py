"""Knowledge search relevance on a fixed corpus (the demo's Tideway articles, en and nl):
for each query the expected article comes first, through the API, on real PostgreSQL with
its own English and Dutch text-search configurations (stemming included: Dutch
``wachtwoorden`` finds ``wachtwoord``, English ``passwords`` finds ``password``)."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from careplane_shared.auth import Role
from careplane_shared.testing import TokenMinter
from tickets.knowledge.demo import ARTICLES, seed_articles
from tickets.knowledge.rules import ArticleStatus, Visibility


@pytest.fixture
async def corpus(tickets_connection: AsyncConnection) -> dict[str, uuid.UUID]:
    async with AsyncSession(
        bind=tickets_connection, join_transaction_mode="create_savepoint"
    ) as session:
        ids = await seed_articles(session)
        await session.commit()
    return ids


@pytest.fixture
def contact(tickets_minter: TokenMinter) -> dict[str, str]:
    return tickets_minter.headers(Role.CONTACT, customer_id=uuid.uuid4())


@pytest.fixture
def agent(tickets_minter: TokenMinter) -> dict[str, str]:
    return tickets_minter.headers(Role.AGENT)


def test_the_corpus_is_big_enough() -> None:
    public = [
        a
        for a in ARTICLES
        if a.visibility is Visibility.PUBLIC and a.status is ArticleStatus.PUBLISHED
    ]
    assert len([a for a in public if a.language == "en"]) >= 8
    assert len([a for a in public if a.language == "nl"]) >= 6


EXPECTED = [
    ("en", "reset my password", "reset-password"),
    ("en", "passwords", "reset-password"),
    ("en", "license key activation fails", "activate-license"),
    ("en", "simulation is slow", "speed-up-simulation"),
    ("en", "import shapefile", "import-gis-data"),
    ("en", "negative pressure junction", "negative-pressures"),
    ("en", "upgrade to version 3", "upgrade-version-3"),
    ("en", "export report excel", "export-reports"),
    ("en", "database timeout", "connection-timeout"),
    ("nl", "wachtwoorden vergeten", "wachtwoord-herstellen"),
    ("nl", "licentiesleutels activeren", "licentie-activeren"),
    ("nl", "trage simulatie", "simulatie-versnellen"),
    ("nl", "shapefiles importeren", "gis-gegevens-importeren"),
    ("nl", "negatieve drukken", "negatieve-druk"),
    ("nl", "rapport exporteren", "rapporten-exporteren"),
]


@pytest.mark.parametrize(("language", "query", "slug"), EXPECTED)
async def test_expected_article_first(
    tickets_client: httpx.AsyncClient,
    corpus: dict[str, uuid.UUID],
    contact: dict[str, str],
    language: str,
    query: str,
    slug: str,
) -> None:
    response = await tickets_client.get(
        "/v1/knowledge/articles",
        params={"search": query, "language": language},
        headers=contact,
    )
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["total"] >= 1
    top = page["items"][0]
    assert top["slug"] == slug, [i["slug"] for i in page["items"]]
    assert top["id"] == str(corpus[slug])
    assert top["language"] == language
    assert top["rank"] > 0
    assert "<mark>" in (top["highlight"] or "") + (top["title_highlight"] or "")
    ranks = [item["rank"] for item in page["items"]]
    assert ranks == sorted(ranks, reverse=True)


async def test_without_a_language_each_article_is_matched_by_its_own(
    tickets_client: httpx.AsyncClient, corpus: dict[str, uuid.UUID], contact: dict[str, str]
) -> None:
    for query, slug in (("wachtwoorden", "wachtwoord-herstellen"), ("passwords", "reset-password")):
        page = (
            await tickets_client.get(
                "/v1/knowledge/articles", params={"search": query}, headers=contact
            )
        ).json()
        assert [i["slug"] for i in page["items"]][:1] == [slug]


async def test_suggestions_for_a_case_being_written(
    tickets_client: httpx.AsyncClient, corpus: dict[str, uuid.UUID], contact: dict[str, str]
) -> None:
    cases = [
        (
            "en",
            "Cannot sign in",
            "I forgot my password and the reset link does not arrive.",
            "reset-password",
        ),
        (
            "nl",
            "Rekenen duurt uren",
            "Onze simulatie is heel traag sinds we de tijdstap hebben verkleind.",
            "simulatie-versnellen",
        ),
        (
            "en",
            "Activation error",
            "The license key for our new major version will not activate.",
            "activate-license",
        ),
    ]
    for language, subject, description, slug in cases:
        response = await tickets_client.post(
            "/v1/knowledge/suggestions",
            json={"subject": subject, "description": description, "language": language},
            headers=contact,
        )
        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer["items"][0]["slug"] == slug, [i["slug"] for i in answer["items"]]
        assert answer["suggestion_id"] is not None


async def test_customers_find_only_published_public_articles(
    tickets_client: httpx.AsyncClient,
    corpus: dict[str, uuid.UUID],
    contact: dict[str, str],
    agent: dict[str, str],
) -> None:
    hidden = {"server-engine-licensing", "tideway-1-support", "scenario-manager"}
    seen = (await tickets_client.get("/v1/knowledge/articles?limit=200", headers=contact)).json()
    slugs = {i["slug"] for i in seen["items"]}
    assert seen["total"] == len(slugs) == 15
    assert not slugs & hidden
    staff = (await tickets_client.get("/v1/knowledge/articles?limit=200", headers=agent)).json()
    assert hidden <= {i["slug"] for i in staff["items"]}
    assert staff["total"] == len(ARTICLES)
    # Suggestions show internal articles to staff only, archived and drafts to nobody.
    ask = {"subject": "server engine seats", "description": "licensing per customer"}
    for who, expected in ((agent, True), (contact, False)):
        answer = (
            await tickets_client.post("/v1/knowledge/suggestions", json=ask, headers=who)
        ).json()
        assert ("server-engine-licensing" in {i["slug"] for i in answer["items"]}) is expected
    # The pending draft is not what customers read.
    offline = corpus["offline-installer"]
    read = (await tickets_client.get(f"/v1/knowledge/articles/{offline}", headers=contact)).json()
    assert "license file" not in read["body"] and read["draft"] is None
    staff_read = (
        await tickets_client.get(f"/v1/knowledge/articles/{offline}", headers=agent)
    ).json()
    assert "license file" in staff_read["draft"]["body"]
    for slug in hidden:
        response = await tickets_client.get(
            f"/v1/knowledge/articles/{corpus[slug]}", headers=contact
        )
        assert (response.status_code, response.json()["error"]["code"]) == (
            404,
            "ARTICLE_NOT_FOUND",
        )


async def test_filters_pages_and_totals(
    tickets_client: httpx.AsyncClient, corpus: dict[str, uuid.UUID], contact: dict[str, str]
) -> None:
    first = (
        await tickets_client.get(
            "/v1/knowledge/articles", params={"language": "nl", "limit": 4}, headers=contact
        )
    ).json()
    second = (
        await tickets_client.get(
            "/v1/knowledge/articles",
            params={"language": "nl", "limit": 4, "offset": 4},
            headers=contact,
        )
    ).json()
    assert first["total"] == second["total"] == 6
    assert len(first["items"]) == 4 and len(second["items"]) == 2
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}
    assert all(i["rank"] is None and i["highlight"] is None for i in first["items"])
    nothing = (
        await tickets_client.get(
            "/v1/knowledge/articles", params={"search": "zzzqqq"}, headers=contact
        )
    ).json()
    assert (nothing["total"], nothing["items"]) == (0, [])
    bad = await tickets_client.get(
        "/v1/knowledge/articles", params={"language": "de"}, headers=contact
    )
    assert bad.status_code == 422
