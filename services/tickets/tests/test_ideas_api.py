"""Feature requests and ideas through the API, on the real contracts app: routing to sales
or development, ideas with votes (one per contact), planned and shipped, and every refusal."""

from __future__ import annotations

from ideas_testkit import case, code, events


async def _feature_request(live, headers, demo_ids, **extra):
    response = await live.post(
        "/v1/tickets", json=case(demo_ids, type="feature_request", **extra), headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_suggestion_becomes_an_idea_and_its_case_closes(
    live, login, demo_ids, tickets_connection
):
    ana = await login("ana@acme-water.example")
    agent = await login("agent@example.com")
    ticket = await _feature_request(live, ana, demo_ids)
    route = f"/v1/tickets/{ticket['id']}/feature-request"

    # The customer cannot route its own case.
    refused = await live.post(route, json={"route": "development"}, headers=ana)
    assert refused.status_code == 403 and code(refused) == "ROLE_FORBIDDEN"

    # A new idea is worded by staff: the case's own text is its customer's.
    bare = await live.post(route, json={"route": "development"}, headers=agent)
    assert bare.status_code == 422 and code(bare) == "FEATURE_ROUTE_INVALID"
    new_idea = {"title": "GeoJSON export", "description": "Export the network as GeoJSON."}
    routed = await live.post(
        route, json={"route": "development", "note": "good one", "idea": new_idea}, headers=agent
    )
    assert routed.status_code == 200, routed.text
    body = routed.json()
    assert body["route"] == "development"
    assert body["ticket"]["status"] == "CLOSED"
    assert body["ticket"]["resolution"].startswith("Recorded as an idea for development")
    idea = body["idea"]
    assert idea["title"] == "GeoJSON export" and idea["asked"] == 1 and idea["status"] == "OPEN"
    assert idea["product_id"] == ticket["product_id"]

    # Once per case.
    again = await live.post(route, json={"route": "sales"}, headers=agent)
    assert again.status_code == 409 and code(again) in ("FEATURE_REQUEST_ROUTED", "TICKET_CLOSED")

    [created] = await events(tickets_connection, "idea.created")
    assert created["data"]["idea_id"] == idea["id"]
    [closed] = await events(tickets_connection, "ticket.closed")
    assert closed["data"]["counts_against_quota"] is False
    assert closed["data"]["idea_id"] == idea["id"]
    history = (await live.get(f"/v1/tickets/{ticket['id']}/history", headers=ana)).json()
    assert [h["to_value"] for h in history if h["kind"] == "ROUTED"] == ["development"]

    # The idea's cases: the customer sees its own, another customer none of them.
    cases = await live.get(f"/v1/ideas/{idea['id']}/cases", headers=ana)
    assert [c["id"] for c in cases.json()] == [ticket["id"]]
    cora = await login("cora@cobalt.example")
    assert (await live.get(f"/v1/ideas/{idea['id']}/cases", headers=cora)).json() == []


async def test_a_second_case_merges_into_the_idea_and_shipping_names_everyone(
    live, login, demo_ids, tickets_connection
):
    ana = await login("ana@acme-water.example")
    cora = await login("cora@cobalt.example")
    admin = await login("admin@example.com")
    first = await _feature_request(live, ana, demo_ids)
    second = await _feature_request(live, cora, demo_ids, subject="GeoJSON export please")
    idea = (
        await live.post(
            f"/v1/tickets/{first['id']}/feature-request",
            json={
                "route": "development",
                "idea": {"title": "GeoJSON export", "description": "Export the network."},
            },
            headers=admin,
        )
    ).json()["idea"]
    merged = await live.post(
        f"/v1/tickets/{second['id']}/feature-request",
        json={"route": "development", "idea_id": idea["id"]},
        headers=admin,
    )
    assert merged.status_code == 200, merged.text
    assert merged.json()["idea"]["asked"] == 2
    assert len(await events(tickets_connection, "idea.created")) == 1

    # Contacts vote once; a second vote is refused with a stable code; unvoting is allowed.
    ben = await login("ben@borealis.example")
    votes = f"/v1/ideas/{idea['id']}/votes"
    voted = await live.post(votes, headers=ben)
    assert voted.status_code == 201 and voted.json()["voted"] and voted.json()["votes"] == 1
    twice = await live.post(votes, headers=ben)
    assert twice.status_code == 409 and code(twice) == "ALREADY_VOTED"
    assert (await live.delete(votes, headers=ben)).status_code == 204
    gone = await live.delete(votes, headers=ben)
    assert gone.status_code == 404 and code(gone) == "VOTE_NOT_FOUND"
    assert (await live.post(votes, headers=ben)).status_code == 201
    assert (await live.post(votes, headers=ana)).status_code == 201  # an asker votes too
    staff_vote = await live.post(votes, headers=admin)
    assert staff_vote.status_code == 403 and code(staff_vote) == "VOTE_FORBIDDEN"

    seen = (await live.get(f"/v1/ideas/{idea['id']}", headers=cora)).json()
    assert seen["votes"] == 2 and seen["voted"] is False and seen["asked"] == 2

    # Staff plan it, then ship it; contacts cannot.
    plan = f"/v1/ideas/{idea['id']}/plan"
    denied = await live.post(plan, json={"version": "3.3"}, headers=ana)
    assert denied.status_code == 403 and code(denied) == "ROLE_FORBIDDEN"
    planned = await live.post(plan, json={"version": "3.3"}, headers=admin)
    assert planned.status_code == 200 and planned.json()["planned_version"] == "3.3"
    unchanged = await live.post(plan, json={"version": "3.3"}, headers=admin)
    assert unchanged.status_code == 409 and code(unchanged) == "IDEA_UNCHANGED"
    shipped = await live.post(
        f"/v1/ideas/{idea['id']}/ship", json={"version": "3.3"}, headers=admin
    )
    assert shipped.status_code == 200, shipped.text
    assert shipped.json()["status"] == "SHIPPED" and shipped.json()["shipped_version"] == "3.3"

    [event] = await events(tickets_connection, "idea.shipped")
    contacts = event["data"]["contact_ids"]
    # Askers first (each once: Ana asked and voted), then the other voters.
    assert contacts == [
        demo_ids["ana@acme-water.example"],
        demo_ids["cora@cobalt.example"],
        demo_ids["ben@borealis.example"],
    ]
    assert event["data"]["version"] == "3.3" and event["data"]["customer_id"] is None

    # A shipped idea takes no more votes, cases or shipping.
    late = await live.post(votes, headers=cora)
    assert late.status_code == 409 and code(late) == "IDEA_SHIPPED"
    again = await live.post(f"/v1/ideas/{idea['id']}/ship", json={"version": "3.4"}, headers=admin)
    assert again.status_code == 409 and code(again) == "IDEA_SHIPPED"
    third = await _feature_request(live, ana, demo_ids)
    join = await live.post(
        f"/v1/tickets/{third['id']}/feature-request",
        json={"route": "development", "idea_id": idea["id"]},
        headers=admin,
    )
    assert join.status_code == 409 and code(join) == "IDEA_SHIPPED"
    # ... and the refused routing left nothing behind: the case is still open.
    still = (await live.get(f"/v1/tickets/{third['id']}", headers=ana)).json()
    assert still["status"] == "OPEN"


async def test_paid_customization_goes_to_sales_and_the_case_stays_open(
    live, login, demo_ids, tickets_connection
):
    ana = await login("ana@acme-water.example")
    agent = await login("agent@example.com")
    ticket = await _feature_request(live, ana, demo_ids)
    route = f"/v1/tickets/{ticket['id']}/feature-request"
    invalid = await live.post(
        route, json={"route": "sales", "idea": {"title": "x", "description": "y"}}, headers=agent
    )
    assert invalid.status_code == 422 and code(invalid) == "FEATURE_ROUTE_INVALID"
    routed = await live.post(
        route, json={"route": "sales", "note": "Custom report for their board"}, headers=agent
    )
    assert routed.status_code == 200, routed.text
    assert routed.json()["idea"] is None and routed.json()["ticket"]["status"] == "OPEN"
    [to_sales] = await events(tickets_connection, "feature_request.to_sales")
    assert to_sales["data"]["number"] == ticket["number"]
    assert to_sales["data"]["note"] == "Custom report for their board"
    history = (await live.get(f"/v1/tickets/{ticket['id']}/history", headers=ana)).json()
    assert [e["to_value"] for e in history if e["kind"] == "ROUTED"] == ["sales"]
    assert "Custom report for their board" not in str(history)  # staff's word to sales
    again = await live.post(
        route,
        json={"route": "development", "idea": {"title": "x", "description": "y"}},
        headers=agent,
    )
    assert again.status_code == 409 and code(again) == "FEATURE_REQUEST_ROUTED"

    # Only feature requests are routed.
    question = (
        await live.post("/v1/tickets", json=case(demo_ids, type="question"), headers=ana)
    ).json()
    wrong = await live.post(
        f"/v1/tickets/{question['id']}/feature-request", json={"route": "sales"}, headers=agent
    )
    assert wrong.status_code == 409 and code(wrong) == "NOT_A_FEATURE_REQUEST"


async def test_ideas_list_public_ones_to_customers(live, login, demo_ids):
    admin = await login("admin@example.com")
    ana = await login("ana@acme-water.example")
    public = await live.post(
        "/v1/ideas",
        json={
            "title": "Dark mode",
            "description": "A dark theme.",
            "product_id": demo_ids["tideway"],
        },
        headers=admin,
    )
    assert public.status_code == 201, public.text
    hidden = await live.post(
        "/v1/ideas",
        json={"title": "Internal refactor", "description": "Staff only.", "public": False},
        headers=admin,
    )
    refused = await live.post("/v1/ideas", json={"title": "x", "description": "y"}, headers=ana)
    assert refused.status_code == 403
    listed = (await live.get("/v1/ideas", headers=ana)).json()
    assert [i["title"] for i in listed["items"]] == ["Dark mode"] and listed["total"] == 1
    staff_list = (await live.get("/v1/ideas", params={"search": "refactor"}, headers=admin)).json()
    assert [i["title"] for i in staff_list["items"]] == ["Internal refactor"]
    missing = await live.get(f"/v1/ideas/{hidden.json()['id']}", headers=ana)
    assert missing.status_code == 404 and code(missing) == "IDEA_NOT_FOUND"
    vote_hidden = await live.post(f"/v1/ideas/{hidden.json()['id']}/votes", headers=ana)
    assert vote_hidden.status_code == 404
    by_status = (await live.get("/v1/ideas", params={"status": "SHIPPED"}, headers=admin)).json()
    assert by_status["total"] == 0
