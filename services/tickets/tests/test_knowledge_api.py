"""The knowledge base through tickets' API, with real tokens and entitlement from the
in-process contracts, on real PostgreSQL: writing, drafts and publishing with history,
who may do what, suggestions and how they end (deflected, or the case opened all the same),
the deflection report and links between articles and cases."""

from __future__ import annotations

from typing import Any

import httpx

AGENT = "agent@example.com"
CORA = "cora@cobalt.example"  # a contact of Cobalt Logistics
BEN = "ben@borealis.example"  # a contact of Borealis Health
BO = "bo@borealis.example"  # Borealis Health's administrator


def _error(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


async def _article(live: httpx.AsyncClient, staff: dict[str, str], **fields: Any) -> Any:
    body = {
        "slug": "pump-curves",
        "language": "en",
        "title": "Editing pump curves",
        "body": "Pump curves are edited in the pump's properties.",
        **fields,
    }
    response = await live.post("/v1/knowledge/articles", json=body, headers=staff)
    assert response.status_code == 201, response.text
    return response.json()


async def test_draft_publish_edit_and_history(live, login) -> None:
    agent, cora = await login(AGENT), await login(CORA)
    article = await _article(live, agent)
    assert (article["status"], article["published"]) == ("draft", None)
    assert article["draft"]["number"] == 1
    url = f"/v1/knowledge/articles/{article['id']}"
    # A draft never published: customers do not see it.
    assert _error(await live.get(url, headers=cora)) == (404, "ARTICLE_NOT_FOUND")

    published = (await live.post(f"{url}/publish", headers=agent)).json()
    assert published["status"] == "published" and published["draft"] is None
    assert published["published"]["state"] == "published"
    assert _error(await live.post(f"{url}/publish", headers=agent)) == (409, "ARTICLE_NO_DRAFT")

    # Editing makes a draft from the published text; customers keep reading version 1.
    edited = await live.patch(url, json={"body": "Open the pump, then Curves."}, headers=agent)
    assert edited.status_code == 200, edited.text
    assert edited.json()["draft"]["number"] == 2
    assert edited.json()["draft"]["title"] == "Editing pump curves"
    read = (await live.get(url, headers=cora)).json()
    assert read["body"] == "Pump curves are edited in the pump's properties."
    assert read["draft"] is None
    found = (
        await live.get("/v1/knowledge/articles", params={"search": "pump curves"}, headers=cora)
    ).json()
    assert found["items"][0]["id"] == article["id"]
    assert "<mark>" in found["items"][0]["title_highlight"]

    await live.post(f"{url}/publish", headers=agent)
    assert (await live.get(url, headers=cora)).json()["body"] == "Open the pump, then Curves."
    versions = (await live.get(f"{url}/versions", headers=agent)).json()
    assert [(v["number"], v["state"]) for v in versions] == [(2, "published"), (1, "superseded")]
    assert [v["number"] for v in (await live.get(f"{url}/versions", headers=cora)).json()] == [2]

    # Archived: gone for customers and from suggestions; staff still read it.
    archived = await live.post(f"{url}/archive", headers=agent)
    assert archived.json()["status"] == "archived"
    assert _error(await live.post(f"{url}/archive", headers=agent)) == (409, "ARTICLE_ARCHIVED")
    assert _error(await live.get(url, headers=cora)) == (404, "ARTICLE_NOT_FOUND")
    assert (await live.get(url, headers=agent)).status_code == 200


async def test_only_staff_write(live, login) -> None:
    agent, cora, bo = await login(AGENT), await login(CORA), await login(BO)
    article = await _article(live, agent)
    url = f"/v1/knowledge/articles/{article['id']}"
    body = {"slug": "mine", "language": "en", "title": "Mine", "body": "Mine."}
    for who in (cora, bo):
        assert _error(await live.post("/v1/knowledge/articles", json=body, headers=who)) == (
            403,
            "KNOWLEDGE_FORBIDDEN",
        )
        for method, path in (
            ("PATCH", url),
            ("POST", f"{url}/publish"),
            ("POST", f"{url}/archive"),
        ):
            kwargs: dict[str, Any] = {"json": {"title": "x"}} if method == "PATCH" else {}
            response = await live.request(method, path, headers=who, **kwargs)
            assert _error(response) == (403, "KNOWLEDGE_FORBIDDEN")
        report = await live.get("/v1/knowledge/report", headers=who)
        assert _error(report) == (403, "ROLE_FORBIDDEN")
    # A slug is unique per language; the same slug in the other language is another article.
    again = await live.post(
        "/v1/knowledge/articles",
        json={"slug": "pump-curves", "language": "en", "title": "T", "body": "B"},
        headers=agent,
    )
    assert _error(again) == (409, "ARTICLE_SLUG_TAKEN")
    await _article(live, agent, language="nl", title="Pompkrommen", body="Pompkrommen wijzigen.")
    bad = await live.post(
        "/v1/knowledge/articles",
        json={"slug": "Not A Slug", "language": "en", "title": "T", "body": "B"},
        headers=agent,
    )
    assert bad.status_code == 422
    missing = "/v1/knowledge/articles/00000000-0000-4000-8000-000000000000"
    assert _error(await live.get(missing, headers=agent)) == (404, "ARTICLE_NOT_FOUND")
    assert _error(await live.post(f"{missing}/publish", headers=agent)) == (
        404,
        "ARTICLE_NOT_FOUND",
    )


async def _published(live, agent, **fields: Any) -> Any:
    article = await _article(live, agent, **fields)
    response = await live.post(f"/v1/knowledge/articles/{article['id']}/publish", headers=agent)
    assert response.status_code == 200, response.text
    return response.json()


async def _open(live, headers, ids, **extra: Any) -> httpx.Response:
    body = {
        "product_id": ids["tideway"],
        "version": "3.1",
        "subject": "Pump curve editing",
        "description": "How do I edit a pump curve?",
        **extra,
    }
    return await live.post("/v1/tickets", json=body, headers=headers)


async def test_suggestions_deflection_and_the_report(live, login, demo_ids) -> None:
    agent, cora, ben, bo = await login(AGENT), await login(CORA), await login(BEN), await login(BO)
    pumps = await _published(live, agent)
    valves = await _published(
        live,
        agent,
        slug="closing-valves",
        title="Closing valves",
        body="Valves are closed from the Network menu.",
    )
    ask = {"subject": "Pump curve", "description": "where do I edit the curve of a pump"}

    # Cora writes a case: one record however often she asks while writing.
    first = (await live.post("/v1/knowledge/suggestions", json=ask, headers=cora)).json()
    assert [i["id"] for i in first["items"]] == [pumps["id"]]
    suggestion = first["suggestion_id"]
    more = {**ask, "description": "and closing the valves", "suggestion_id": suggestion}
    second = (await live.post("/v1/knowledge/suggestions", json=more, headers=cora)).json()
    assert second["suggestion_id"] == suggestion
    shown = (await live.get(f"/v1/knowledge/suggestions/{suggestion}", headers=cora)).json()
    assert shown["shown_article_ids"] == [pumps["id"], valves["id"]]
    assert shown["outcome"] == "pending"
    # Nobody else's: not another customer's contact nor its administrator.
    other = f"/v1/knowledge/suggestions/{suggestion}"
    assert _error(await live.get(other, headers=ben)) == (404, "SUGGESTION_NOT_FOUND")
    reuse = {**ask, "suggestion_id": suggestion}
    assert _error(await live.post("/v1/knowledge/suggestions", json=reuse, headers=bo)) == (
        404,
        "SUGGESTION_NOT_FOUND",
    )

    # She opens the case all the same: recorded with the case, in the same transaction.
    opened = await _open(live, cora, demo_ids, suggestion_id=suggestion)
    assert opened.status_code == 201, opened.text
    done = (await live.get(other, headers=cora)).json()
    assert (done["outcome"], done["ticket_id"]) == ("case_opened", opened.json()["id"])
    helpful = {"article_id": pumps["id"]}
    assert _error(await live.post(f"{other}/helpful", json=helpful, headers=cora)) == (
        409,
        "SUGGESTION_CLOSED",
    )
    # A suggestion opens one case; another's (or none at all) refuses the open whole.
    assert _error(await _open(live, cora, demo_ids, suggestion_id=suggestion)) == (
        409,
        "SUGGESTION_CLOSED",
    )
    before = (await live.get("/v1/tickets", headers=bo)).json()["total"]
    assert _error(await _open(live, bo, demo_ids, suggestion_id=suggestion)) == (
        404,
        "SUGGESTION_NOT_FOUND",
    )
    assert (await live.get("/v1/tickets", headers=bo)).json()["total"] == before

    # Ben is helped by the valves article: deflected, no case.
    ben_ask = {"subject": "Closing valves", "description": "how to close a valve"}
    bens = (await live.post("/v1/knowledge/suggestions", json=ben_ask, headers=ben)).json()
    assert bens["items"][0]["id"] == valves["id"]
    url = f"/v1/knowledge/suggestions/{bens['suggestion_id']}/helpful"
    not_shown = await live.post(url, json={"article_id": pumps["id"]}, headers=ben)
    assert _error(not_shown) == (422, "ARTICLE_NOT_SUGGESTED")
    marked = await live.post(url, json={"article_id": valves["id"]}, headers=ben)
    assert marked.status_code == 200, marked.text
    assert marked.json()["outcome"] == "deflected"

    # Staff get suggestions too, unrecorded.
    staff = (await live.post("/v1/knowledge/suggestions", json=ask, headers=agent)).json()
    assert staff["suggestion_id"] is None and staff["items"]

    report = (await live.get("/v1/knowledge/report", headers=agent)).json()
    assert (report["suggestions"], report["cases_opened"], report["deflected"]) == (2, 1, 1)
    rows = {r["slug"]: r for r in report["articles"]}
    assert (rows["pump-curves"]["shown"], rows["pump-curves"]["cases_opened"]) == (1, 1)
    assert rows["pump-curves"]["deflection_rate"] == 0.0
    valve_row = rows["closing-valves"]
    assert (valve_row["shown"], valve_row["helpful"], valve_row["cases_opened"]) == (2, 1, 1)
    assert (valve_row["deflection_rate"], valve_row["helpful_rate"]) == (0.5, 0.5)
    nl = (await live.get("/v1/knowledge/report?language=nl", headers=agent)).json()
    assert nl["articles"] == []
    wrong = await live.get(
        "/v1/knowledge/report",
        params={"from": "2026-12-02T00:00:00Z", "to": "2026-12-01T00:00:00Z"},
        headers=agent,
    )
    assert _error(wrong) == (422, "PERIOD_OUT_OF_ORDER")


async def test_links_between_articles_and_cases(live, login, demo_ids) -> None:
    agent, cora, ben = await login(AGENT), await login(CORA), await login(BEN)
    public = await _published(live, agent)
    internal = await _published(
        live, agent, slug="pump-internals", title="Pump internals", visibility="internal"
    )
    ticket = (await _open(live, cora, demo_ids)).json()
    url = f"/v1/tickets/{ticket['id']}/knowledge-links"
    for article in (public, internal, public):
        response = await live.post(url, json={"article_id": article["id"]}, headers=agent)
        assert response.status_code == 201, response.text
    staff_view = (await live.get(url, headers=agent)).json()
    assert [link["slug"] for link in staff_view] == ["pump-curves", "pump-internals"]
    assert staff_view[0]["linked_by"]
    # The customer sees the public article only, and not who linked it.
    customer_view = (await live.get(url, headers=cora)).json()
    assert [(link["slug"], link["linked_by"]) for link in customer_view] == [("pump-curves", None)]
    # Another customer's case answers as one that does not exist; customers do not link.
    assert _error(await live.get(url, headers=ben)) == (404, "TICKET_NOT_FOUND")
    assert _error(await live.post(url, json={"article_id": public["id"]}, headers=cora)) == (
        403,
        "KNOWLEDGE_FORBIDDEN",
    )
    missing = {"article_id": "00000000-0000-4000-8000-000000000000"}
    assert _error(await live.post(url, json=missing, headers=agent)) == (404, "ARTICLE_NOT_FOUND")

    removed = await live.delete(f"{url}/{internal['id']}", headers=agent)
    assert removed.status_code == 204
    assert _error(await live.delete(f"{url}/{internal['id']}", headers=agent)) == (
        404,
        "KNOWLEDGE_LINK_NOT_FOUND",
    )
    assert [link["slug"] for link in (await live.get(url, headers=agent)).json()] == ["pump-curves"]
