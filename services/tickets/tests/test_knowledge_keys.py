"""Integration keys and the knowledge base: the vendor's own key with ``tickets:write``
writes and publishes (a CMS sync), one with ``tickets:read`` only reads; a key bound to a
customer reads published public articles and gets suggestions like its customer's people,
and never writes."""

from __future__ import annotations

import uuid

import httpx

from careplane_shared.auth import Role
from careplane_shared.testing import TokenMinter

ARTICLE = {"slug": "cms-sync", "language": "nl", "title": "Synchronisatie", "body": "Tekst."}


def _code(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


async def test_keys_write_and_read_within_their_scopes(
    tickets_client: httpx.AsyncClient, tickets_minter: TokenMinter
) -> None:
    writer = tickets_minter.headers(Role.INTEGRATION, scope="tickets:write")
    reader = tickets_minter.headers(Role.INTEGRATION, scope="tickets:read")
    bound = tickets_minter.headers(
        Role.INTEGRATION, customer_id=uuid.uuid4(), scope="tickets:write"
    )

    refused = await tickets_client.post("/v1/knowledge/articles", json=ARTICLE, headers=reader)
    assert _code(refused) == (403, "SCOPE_FORBIDDEN")
    created = await tickets_client.post("/v1/knowledge/articles", json=ARTICLE, headers=writer)
    assert created.status_code == 201, created.text
    url = f"/v1/knowledge/articles/{created.json()['id']}"
    # Not yet published: the bound key does not see it; the vendor's reader does.
    assert _code(await tickets_client.get(url, headers=bound)) == (404, "ARTICLE_NOT_FOUND")
    assert (await tickets_client.get(url, headers=reader)).json()["draft"]["number"] == 1
    assert (await tickets_client.post(f"{url}/publish", headers=writer)).status_code == 200

    read = await tickets_client.get(url, headers=bound)
    assert read.status_code == 200 and read.json()["draft"] is None
    suggested = await tickets_client.post(
        "/v1/knowledge/suggestions",
        json={"subject": "synchronisatie", "language": "nl"},
        headers=bound,
    )
    assert suggested.status_code == 200, suggested.text
    assert suggested.json()["suggestion_id"] is not None
    assert [i["slug"] for i in suggested.json()["items"]] == ["cms-sync"]
    assert _code(await tickets_client.post(f"{url}/archive", headers=bound)) == (
        403,
        "KNOWLEDGE_FORBIDDEN",
    )
