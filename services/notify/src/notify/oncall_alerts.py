"""Alerts to the vendor's staff on call (seeds 001, 003): a declared emergency
(``ticket.emergency``) and a scheduled visit that starts (``visit.started``) mail each
address tickets names in ``data.on_call`` (who the support center's on-call rota has on
duty then), urgently: never held for quiet hours or a digest. With nobody on call the
alert goes to the support team's addresses (``staff_addresses``): an emergency is never
left unheard. The chat channels subscribed to these events get them as any other event.
"""

from __future__ import annotations

from typing import Any

from notify.config import NotifySettings

TEMPLATES = {"ticket.emergency": "ticket_emergency", "visit.started": "visit_started"}


def alert_targets(
    event_type: str, data: dict[str, Any], settings: NotifySettings
) -> list[tuple[str, str]] | None:
    """``(target, template)`` of each alert mail; ``None`` for events that are not alerts."""
    template = TEMPLATES.get(event_type)
    if template is None:
        return None
    named = data.get("on_call")
    addresses = (
        [a for a in named or [] if isinstance(a, str) and "@" in a]
        if isinstance(named, list)
        else []
    )
    if not addresses:
        addresses = list(settings.staff_addresses)
    return [(f"staff:{address}", template) for address in dict.fromkeys(addresses)]
