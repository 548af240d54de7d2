"""Chat tools against stand-ins on 127.0.0.1 that check each tool's payload shape and limits."""

from __future__ import annotations

import json

from notify_testkit import drain, post_event, staff, ticket_event
from sqlalchemy import text

from careplane_shared.testing import asgi_client


def check_slack(p):
    assert p["text"] and len(p["blocks"]) <= 50
    header = p["blocks"][0]
    assert header["type"] == "header" and len(header["text"]["text"]) <= 150
    for block in p["blocks"]:
        if block["type"] == "section" and "text" in block:
            assert len(block["text"]["text"]) <= 3000
        if "fields" in block:
            assert len(block["fields"]) <= 10


def check_teams(p):
    assert p["type"] == "message"
    [attachment] = p["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4" and card["body"]


def check_mattermost(p):
    [attachment] = p["attachments"]
    assert attachment["color"].startswith("#") and attachment["title"]
    assert len(json.dumps(p)) < 16383


def check_discord(p):
    [embed] = p["embeds"]
    assert len(embed["title"]) <= 256 and len(embed.get("description", "")) <= 4096
    assert len(embed["fields"]) <= 25
    total = (
        len(embed["title"])
        + len(embed.get("description", ""))
        + sum(len(f["name"]) + len(f["value"]) for f in embed["fields"])
    )
    assert total <= 6000
    assert p["allowed_mentions"] == {"parse": []}


def check_google_chat(p):
    [card] = p["cardsV2"]
    assert card["card"]["header"]["title"]
    assert p["thread"]["threadKey"] == "CS-000777"


CHECKS = {
    "slack": check_slack,
    "teams": check_teams,
    "mattermost": check_mattermost,
    "discord": check_discord,
    "google_chat": check_google_chat,
}


async def test_five_chat_tools_get_one_message_each_in_their_own_shape(
    live_notify, receiver, notify_minter, notify_engine
):
    target, url = receiver

    scripted = {
        # Discord's rate limit: 429 with retry_after (seconds) in the JSON body.
        "/discord": [(429, {"content-type": "application/json"}, b'{"retry_after": 2.5}'), 200],
        "/teams": [202],  # Workflows: accepted, runs later
        "/mattermost": [500, 200],
        "/slack": [410],  # the app was uninstalled
        "/google_chat": [200],
    }

    async with live_notify(staff_addresses=[]) as app, asgi_client(app) as client:
        for kind in CHECKS:
            made = await client.post(
                "/v1/chat-channels",
                json={
                    "kind": kind,
                    "name": f"#{kind}",
                    "webhook_url": f"{url}/{kind}?token=abc",
                    "event_types": ["sla.breached"],
                },
                headers=staff(notify_minter),
            )
            assert made.status_code == 201, made.text
            assert "webhook_url" not in made.json()
        target.by_path = scripted
        event = ticket_event(
            "sla.breached",
            number="CS-000777",
            subject="Telemetry " * 60,
            body="x" * 10_000,
            metric="FIRST_RESPONSE",
            due_at="2026-11-22T10:00:00Z",
        )
        await post_event(client, notify_minter, event)
        worker = app.state.delivery_worker
        await worker.run_once()
        async with notify_engine.connect() as c:
            wait = await c.scalar(
                text(
                    "SELECT next_attempt_at - updated_at FROM deliveries WHERE channel = 'discord'"
                )
            )
        assert 2.4 <= wait.total_seconds() <= 2.6
        await drain(worker, notify_engine)

        deliveries = (
            await client.get("/v1/deliveries", params={"limit": 10}, headers=staff(notify_minter))
        ).json()["items"]
        statuses = {d["channel"]: (d["status"], d["attempts"]) for d in deliveries}
        assert statuses == {
            "slack": ("failed", 1),
            "teams": ("succeeded", 1),
            "mattermost": ("succeeded", 2),
            "discord": ("succeeded", 2),
            "google_chat": ("succeeded", 1),
        }
        channels = (await client.get("/v1/chat-channels", headers=staff(notify_minter))).json()
        disabled = {c["kind"]: c["disabled_reason"] for c in channels["items"]}
        assert "410" in disabled["slack"] and disabled["teams"] is None

    for request in target.requests:
        kind = request["path"].strip("/")
        CHECKS[kind](json.loads(request["body"]))
        assert request["query"]["token"] == "abc"
    queries = {r["path"]: r["query"] for r in target.requests}
    assert queries["/discord"]["wait"] == "true"
    assert queries["/google_chat"]["messageReplyOption"] == "REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD"
