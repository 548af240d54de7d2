"""Mail for scheduled visits and emergencies (seeds 001, 003).

- ``ticket.emergency`` and ``visit.started`` are alerts: one urgent mail to each address
  tickets names in ``data.on_call`` (whom the support center's on-call rota has on duty
  then), never held for quiet hours or a digest. With nobody on call the alert goes to
  the support team's addresses (``staff_addresses``): an emergency is never unheard.
- ``visit.requested``: the support team hears that a customer asks for a visit (staff
  confirm it at least 48 hours ahead).
- ``visit.confirmed`` and ``visit.cancelled``: the customer's administrators hear it.

The chat channels subscribed to these event types get them as any other event.
"""

from __future__ import annotations

from typing import Any

from notify.config import NotifySettings

ALERTS = {"ticket.emergency": "ticket_emergency", "visit.started": "visit_started"}
TO_CUSTOMER = {"visit.confirmed": "visit_confirmed", "visit.cancelled": "visit_cancelled"}


def _on_call(data: dict[str, Any], settings: NotifySettings) -> list[str]:
    named = data.get("on_call")
    listed = named if isinstance(named, list) else []
    addresses = [a for a in listed if isinstance(a, str) and "@" in a]
    return list(dict.fromkeys(addresses or settings.staff_addresses))


def alert_targets(
    event_type: str, data: dict[str, Any], settings: NotifySettings
) -> list[tuple[str, str, bool]] | None:
    """``(target, template, urgent)`` of each mail; ``None`` for events not handled here."""
    if event_type in ALERTS:
        return [(f"staff:{a}", ALERTS[event_type], True) for a in _on_call(data, settings)]
    if event_type == "visit.requested":
        return [(f"staff:{a}", "visit_requested", False) for a in settings.staff_addresses]
    if event_type in TO_CUSTOMER:
        customer = data.get("customer_id")
        return [(f"customer:{customer}", TO_CUSTOMER[event_type], False)] if customer else []
    return None
