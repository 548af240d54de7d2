"""One chat message model, built from an event, rendered per tool within its limits."""

from __future__ import annotations

from dataclasses import dataclass, field
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
        if event_type == "sla.breached"
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


# -- per tool ---------------------------------------------------------------------------------


def slack(message: ChatMessage) -> dict[str, Any]:
    """Block Kit: header text ≤ 150, section text ≤ 3000, ≤ 10 fields of ≤ 2000, ≤ 50 blocks."""
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
    6000 characters in all."""
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
    """Cards v2, one thread per case (``thread.threadKey``; the URL asks to reply in it)."""
    widgets: list[dict[str, Any]] = []
    if message.text:
        widgets.append({"textParagraph": {"text": clip(message.text, 4000)}})
    widgets.extend(
        {"decoratedText": {"topLabel": clip(n, 100), "text": clip(v, 1000)}}
        for n, v in message.facts[:20]
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
        "text": clip(message.fallback, 4000),
        "cardsV2": [
            {
                "cardId": "careplane",
                "card": {
                    "header": {"title": clip(message.title, 200)},
                    "sections": [{"widgets": widgets}] if widgets else [],
                },
            }
        ],
    }
    if message.thread_key:
        payload["thread"] = {"threadKey": message.thread_key}
    return payload
