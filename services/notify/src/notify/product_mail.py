"""Mail about the product's development (seed rules [001][003]), routed here and called
from :func:`notify.routing.mail_routes`:

- ``feature_request.to_sales``: sales (``sales_addresses``, else the staff addresses) is
  asked for a price proposal on a paid customization;
- ``idea.shipped``: everyone who asked for the idea or voted (``contact_ids`` in the event)
  gets one mail, in their own customer's language (the event names none). It is product
  news: a contact who opted out of it gets none;
- ``ticket.development_fixed``: the case's requester and watchers are told which version
  carries the fix of their defect, in the case's language.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypedDict

from notify.config import NotifySettings
from notify.preferences.categories import Category

# The most contacts one shipped idea mails (an event naming more is cut there).
MAX_IDEA_RECIPIENTS = 5000


class MailRoute(TypedDict):
    """What :class:`notify.routing.MailRoute` takes (routing imports this module, so this
    one does not import routing)."""

    target: str
    template: str
    category: Category | None
    watching: bool


def _route(
    target: str, template: str, category: Category | None = None, *, watching: bool = False
) -> MailRoute:
    return {"target": target, "template": template, "category": category, "watching": watching}


def product_mail_routes(
    event_type: str,
    data: dict[str, Any],
    settings: NotifySettings,
    watchers: Sequence[str] = (),
) -> list[MailRoute]:
    if event_type == "feature_request.to_sales":
        addresses = settings.sales_addresses or settings.staff_addresses
        return [_route(f"staff:{a}", "feature_request_to_sales") for a in addresses]
    if event_type == "idea.shipped":
        contacts = data.get("contact_ids")
        if not isinstance(contacts, list):
            return []
        unique = dict.fromkeys(str(c) for c in contacts[:MAX_IDEA_RECIPIENTS])
        return [_route(f"contact:{c}", "idea_shipped", Category.PRODUCT_NEWS) for c in unique]
    if event_type == "ticket.development_fixed" and data.get("contact_id"):
        requester = str(data["contact_id"])
        routes = [
            _route(f"contact:{requester}", "ticket_development_fixed", Category.TICKET_UPDATES)
        ]
        routes += [
            _route(
                f"contact:{w}", "ticket_development_fixed", Category.TICKET_UPDATES, watching=True
            )
            for w in watchers
            if str(w) != requester
        ]
        return routes
    return []
