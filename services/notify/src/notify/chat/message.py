"""One chat message model, built from an event, rendered per tool within its limits."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

Severity = Literal["info", "warning", "danger"]

COLORS = {"info": "#2f6fed", "warning": "#e5a00d", "danger": "#c81e1e"}

_TITLES = {
    "ticket.opened": "New case",
    "ticket.replied": "New reply",
    "ticket.status_changed": "Status changed",
    "ticket.escalated": "Case escalated",
    "ticket.closed": "Case closed",
    "ticket.reopened": "Case reopened",
    "ticket.priority_changed": "Priority changed",
    "ticket.assigned": "Case assigned",
    "sla.warning": "SLA warning",
    "sla.breached": "SLA breached",
    "lifecycle.milestones_changed": "Lifecycle dates changed",
    "ticket.emergency": "EMERGENCY",
    "visit.started": "Scheduled visit started",
}


@dataclass(frozen=True, slots=True)
class ChatMessage:
    title: str
    text: str
    facts: list[tuple[str, str]] = field(default_factory=list)
    url: str | None = None
    severity: Severity = "info"
    # Messages about one case share a thread where the tool has threads (Google Chat).
    thread_key: str | None = None

    @property
    def fallback(self) -> str:
        return f"{self.title}: {self.text}" if self.text else self.title


def message_for(event_type: str, data: dict[str, Any], portal_url: str) -> ChatMessage:
    number = data.get("number")
    label = _TITLES.get(event_type, event_type)
    severity: Severity = (
        "danger"
        if event_type in ("sla.breached", "ticket.emergency")
        else "warning"
        if event_type in ("sla.warning", "ticket.escalated")
        else "info"
    )
    if number:
        title = f"{label}: {number} {data.get('subject') or ''}".strip()
        facts = [
            (name, str(data[key]))
            for name, key in (
                ("Status", "status"),
                ("Priority", "priority"),
                ("Metric", "metric"),
                ("Due", "due_at"),
                ("Previous status", "previous_status"),
                ("Author", "author_kind"),
            )
            if data.get(key)
        ]
        text = str(data.get("body") or data.get("reason") or data.get("resolution") or "")
        url = f"{portal_url.rstrip('/')}/tickets/{number}"
        return ChatMessage(title, text, facts, url, severity, thread_key=str(number))
    if event_type == "lifecycle.milestones_changed":
        after = data.get("after") or {}
        facts = [(m, str(after.get(m) or "—")) for m in ("GA", "EOS", "EOMS", "EOL")]
        title = f"{label}: {data.get('product_name', '')} {data.get('major', '')}".strip()
        return ChatMessage(title, ", ".join(data.get("changed") or []), facts)
    return ChatMessage(label, "", [(k, str(v)) for k, v in list(data.items())[:10]])


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


# -- mentions ---------------------------------------------------------------------------------
#
# Customer text (a case's subject, a reply's body) must never ping anyone: each tool's
# mention syntax is broken with a zero-width space, which reads the same but is no longer
# the syntax; Slack's and Google Chat's card markup is escaped as their formats want.

ZW = "\u200b"
# "@name" where a mention can start (not inside an address such as ana@acme.example).
_AT_WORD = re.compile(r"(?<!\w)@(?=[\w.-])")
_BROADCAST = re.compile(r"@(?=(?:channel|here|everyone|all|group)\b)", re.IGNORECASE)
_DISCORD_TAG = re.compile(r"<(?=[@#])")
_TEAMS_AT = re.compile(r"<(?=\s*/?\s*at\b)", re.IGNORECASE)
_GOOGLE_USER = re.compile(r"<(?=\s*users/)", re.IGNORECASE)


def escape_slack(text: str) -> str:
    """Slack: ``&``, ``<``, ``>`` as entities (so ``<!channel>``, ``<@U123>``,
    ``<!subteam^…>`` and ``<url|label>`` are plain text) and ``@here``-style words broken."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _AT_WORD.sub("@" + ZW, escaped)


def escape_mattermost(text: str) -> str:
    """Mattermost: ``@channel``, ``@all``, ``@here`` and ``@user`` broken; Slack-style
    ``<!channel>`` (which Mattermost expands in webhooks) too."""
    return _AT_WORD.sub("@" + ZW, text.replace("<!", "<" + ZW + "!").replace("<@", "<" + ZW + "@"))


def escape_discord(text: str) -> str:
    """Discord: ``@everyone``, ``@here``, ``<@id>``, ``<@!id>``, ``<@&role>``, ``<#channel>``
    broken (``allowed_mentions`` is empty as well, so nothing pings even if one slipped)."""
    return _BROADCAST.sub("@" + ZW, _DISCORD_TAG.sub("<" + ZW, text))


def escape_teams(text: str) -> str:
    """Teams: ``<at>…</at>`` broken (we send no mention entities either)."""
    return _BROADCAST.sub("@" + ZW, _TEAMS_AT.sub("<" + ZW, text))


def escape_google_chat_text(text: str) -> str:
    """Google Chat message text: ``<users/all>`` and ``<users/123>`` broken."""
    return _BROADCAST.sub("@" + ZW, _GOOGLE_USER.sub("<" + ZW, text))


def escape_google_chat_card(text: str) -> str:
    """Google Chat card text is HTML-formatted: escaped, so no tag or mention is live."""
    return _BROADCAST.sub("@" + ZW, html.escape(text, quote=False))


def escaped(message: ChatMessage, escape: Callable[[str], str]) -> ChatMessage:
    """The message with every text a customer may have written escaped (links are ours)."""
    return replace(
        message,
        title=escape(message.title),
        text=escape(message.text),
        facts=[(escape(name), escape(value)) for name, value in message.facts],
    )


# -- per tool ---------------------------------------------------------------------------------


def slack(message: ChatMessage) -> dict[str, Any]:
    """Block Kit: header text ≤ 150, section text ≤ 3000, ≤ 10 fields of ≤ 2000, ≤ 50 blocks."""
    message = escaped(message, escape_slack)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": clip(message.title, 150)}}
    ]
    if message.text:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": clip(message.text, 3000)}}
        )
    if message.facts:
        blocks.append(
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": clip(f"*{name}*\n{value}", 2000)}
                    for name, value in message.facts[:10]
                ],
            }
        )
    if message.url:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Open"},
                        "url": message.url[:3000],
                    }
                ],
            }
        )
    return {"text": clip(message.fallback, 3000), "blocks": blocks[:50]}


def mattermost(message: ChatMessage) -> dict[str, Any]:
    """Slack-compatible attachments; a post is at most 16383 characters."""
    message = escaped(message, escape_mattermost)
    attachment: dict[str, Any] = {
        "fallback": clip(message.fallback, 3000),
        "color": COLORS[message.severity],
        "title": clip(message.title, 256),
        "text": clip(message.text, 8000),
        "fields": [
            {"short": True, "title": clip(n, 256), "value": clip(v, 1000)}
            for n, v in message.facts[:10]
        ],
    }
    if message.url:
        attachment["title_link"] = message.url
    return {"text": clip(message.title, 4000), "attachments": [attachment]}


def discord(message: ChatMessage) -> dict[str, Any]:
    """Embeds: title ≤ 256, description ≤ 4096, ≤ 25 fields (name ≤ 256, value ≤ 1024),
    6000 characters in all. ``allowed_mentions`` empty: the message pings nobody."""
    message = escaped(message, escape_discord)
    embed: dict[str, Any] = {
        "title": clip(message.title, 256),
        "color": int(COLORS[message.severity][1:], 16),
    }
    if message.text:
        embed["description"] = clip(message.text, 4096 - 256 - 25 * 64)
    if message.url:
        embed["url"] = message.url
    embed["fields"] = [
        {"name": clip(n, 64), "value": clip(v or "—", 256), "inline": True}
        for n, v in message.facts[:25]
    ]
    return {
        "content": clip(message.title, 2000),
        "embeds": [embed],
        "allowed_mentions": {"parse": []},
    }


def teams(message: ChatMessage) -> dict[str, Any]:
    """An Adaptive Card (1.4) for a Teams Workflows webhook."""
    message = escaped(message, escape_teams)
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": clip(message.title, 500),
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
            "color": {"info": "Default", "warning": "Warning", "danger": "Attention"}[
                message.severity
            ],
        }
    ]
    if message.text:
        body.append({"type": "TextBlock", "text": clip(message.text, 5000), "wrap": True})
    if message.facts:
        body.append(
            {
                "type": "FactSet",
                "facts": [{"title": clip(n, 100), "value": clip(v, 500)} for n, v in message.facts],
            }
        )
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    if message.url:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open", "url": message.url}]
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


def google_chat(message: ChatMessage) -> dict[str, Any]:
    """Cards v2, one thread per case (``thread.threadKey``; the URL asks to reply in it).
    Paragraphs and values are HTML-formatted (escaped as HTML); titles and labels plain."""
    plain = escaped(message, escape_google_chat_text)
    message = escaped(message, escape_google_chat_card)
    widgets: list[dict[str, Any]] = []
    if message.text:
        widgets.append({"textParagraph": {"text": clip(message.text, 4000)}})
    widgets.extend(
        {"decoratedText": {"topLabel": clip(label, 100), "text": clip(v, 1000)}}
        for (label, _), (_, v) in zip(plain.facts[:20], message.facts[:20], strict=True)
    )
    if message.url:
        widgets.append(
            {
                "buttonList": {
                    "buttons": [{"text": "Open", "onClick": {"openLink": {"url": message.url}}}]
                }
            }
        )
    payload: dict[str, Any] = {
        "text": clip(plain.fallback, 4000),
        "cardsV2": [
            {
                "cardId": "careplane",
                "card": {
                    "header": {"title": clip(plain.title, 200)},
                    "sections": [{"widgets": widgets}] if widgets else [],
                },
            }
        ],
    }
    if message.thread_key:
        payload["thread"] = {"threadKey": message.thread_key}
    return payload
