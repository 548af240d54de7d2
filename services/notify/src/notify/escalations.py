"""Who is mailed about escalations and change requests (seeds 000 and 002).

- ``ticket.escalated`` by the customer: the Client Services Manager of the customer's region
  (named in the event by tickets; the staff addresses when the region has none) at once,
  and the requester, told who now owns the follow-up. An internal escalation mails nobody:
  it is staff's business and its event carries neither reason nor team.
- ``ticket.escalation_resolved`` of a customer's escalation: the requester.
- ``ticket.change_requested``: the staff addresses (staff decide).
- ``ticket.change_request_decided``: the requester, whether accepted or refused.

:func:`mail_targets` answers ``(target, template, urgent, category)`` rows that
:func:`notify.routing.mail_routes` turns into its routes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from notify.preferences.categories import Category

EVENTS = frozenset(
    {
        "ticket.escalated",
        "ticket.escalation_resolved",
        "ticket.change_requested",
        "ticket.change_request_decided",
    }
)

Target = tuple[str, str, bool, Category | None]


def mail_targets(
    event_type: str, data: dict[str, Any], staff_addresses: Sequence[str]
) -> list[Target]:
    contact = data.get("contact_id")
    requester: list[Target] = []
    if contact:
        requester = [(f"contact:{contact}", "", False, Category.TICKET_UPDATES)]
    customers = data.get("kind") == "CUSTOMER"

    def to_requester(template: str) -> list[Target]:
        return [(target, template, urgent, cat) for target, _, urgent, cat in requester]

    if event_type == "ticket.escalated" and customers:
        managers = [data["csm_email"]] if data.get("csm_email") else list(staff_addresses)
        return [
            *((f"staff:{address}", "escalation_to_manager", True, None) for address in managers),
            *to_requester("escalation_received"),
        ]
    if event_type == "ticket.escalation_resolved" and customers:
        return to_requester("escalation_resolved")
    if event_type == "ticket.change_requested":
        return [(f"staff:{a}", "change_requested", False, None) for a in staff_addresses]
    if event_type == "ticket.change_request_decided":
        return to_requester("change_request_decided")
    return []
