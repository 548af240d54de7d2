"""Customer text never carries a live mention into a chat tool: a case whose subject and reply
are full of each tool's mention syntax reaches real receivers on 127.0.0.1 with every mention
broken, while the words themselves stay readable."""

from __future__ import annotations

import html
import json
import re
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from notify_testkit import drain, post_event, staff, ticket_event

from careplane_shared.testing import asgi_client
from notify.chat import message as render

ZW = "\u200b"
SUBJECT = "<!channel> @here pumps down <!subteam^S0614TZR7|@oncall>"
BODY = (
    "Hey @channel and @everyone, <@U024BE7LH> <!here> <!everyone> <@&123456789012> "
    "<#987654321> <at>Bob</at> <users/all> <users/1234567890> @all @ops-team. "
    "Mail ana@acme-water.example & <b>bold</b> <https://evil.example|click>"
)

# Live mention syntax per tool, written from each tool's documentation (not from our code).
BROADCAST = re.compile(r"(?<!\w)@(channel|here|everyone|all)\b", re.IGNORECASE)
LIVE: dict[str, list[re.Pattern[str]]] = {
    "slack": [re.compile(r"<[!@#]"), BROADCAST, re.compile(r"<https?://")],
    "mattermost": [re.compile(r"<[!@]"), BROADCAST, re.compile(r"(?<!\w)@[\w]")],
    "discord": [re.compile(r"<[@#]"), BROADCAST],
    "teams": [re.compile(r"<\s*/?\s*at\b", re.IGNORECASE), BROADCAST],
    "google_chat": [re.compile(r"<\s*users/"), BROADCAST],
}


def strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def readable(text: str) -> str:
    return html.unescape(text.replace(ZW, ""))


async def test_mentions_arrive_escaped_at_every_chat_tool(
    live_notify, receiver, notify_minter, notify_engine
):
    target, url = receiver
    async with live_notify(staff_addresses=[]) as app, asgi_client(app) as client:
        for kind in LIVE:
            made = await client.post(
                "/v1/chat-channels",
                json={
                    "kind": kind,
                    "name": kind,
                    "webhook_url": f"{url}/{kind}",
                    "event_types": ["ticket.replied"],
                },
                headers=staff(notify_minter),
            )
            assert made.status_code == 201, made.text
        event = ticket_event("ticket.replied", subject=SUBJECT, body=BODY, author_kind="CONTACT")
        assert (await post_event(client, notify_minter, event)).status_code == 202
        assert await drain(app.state.delivery_worker, notify_engine) == len(LIVE)

    arrived = {r["path"].strip("/"): json.loads(r["body"]) for r in target.requests}
    assert set(arrived) == set(LIVE)
    for kind, payload in arrived.items():
        texts = strings(payload)
        for text in texts:
            for pattern in LIVE[kind]:
                assert not pattern.search(text), (kind, pattern.pattern, text)
        # The words are all still there for a reader.
        everything = " ".join(readable(t) for t in texts)
        assert "pumps down" in everything and "Hey" in everything, kind
        assert "ana@acme-water.example" in everything, kind
    assert arrived["discord"]["allowed_mentions"] == {"parse": []}
    # Slack: the reply is shown as written once its entities are read.
    [section] = [b for b in arrived["slack"]["blocks"] if b["type"] == "section" and "text" in b]
    assert readable(section["text"]["text"]) == BODY
    # Google Chat cards: no markup of the customer's is live either.
    paragraph = arrived["google_chat"]["cardsV2"][0]["card"]["sections"][0]["widgets"][0]
    assert "<b>" not in paragraph["textParagraph"]["text"]


# Pieces of every tool's mention syntax, shuffled together.
MENTIONISH = st.lists(
    st.sampled_from([*"<>!@#&/|^ .-_aehlnrtvyscuo", "channel", "here", "everyone", "users/"]),
    max_size=30,
).map("".join)


@given(st.one_of(MENTIONISH, st.text(max_size=60)))
def test_no_text_escapes_into_a_live_mention(text):
    escape = {
        "slack": render.escape_slack,
        "mattermost": render.escape_mattermost,
        "discord": render.escape_discord,
        "teams": render.escape_teams,
        "google_chat": render.escape_google_chat_text,
    }
    for kind, function in escape.items():
        out = function(text)
        for pattern in LIVE[kind]:
            assert not pattern.search(out), (kind, text, out)
        if kind != "slack":
            assert out.replace(ZW, "") == text.replace(ZW, "")
    assert html.unescape(render.escape_slack(text)).replace(ZW, "") == text.replace(ZW, "")
