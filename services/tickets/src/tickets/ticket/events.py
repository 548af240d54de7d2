"""The payload every case event carries (``ticket.*``, ``sla.*``)."""

from __future__ import annotations

from typing import Any

from tickets.models import Ticket

CUSTOMER_ONLY = "customer_only"
"""In an event's data: a repeat, for the customer's own targets and streams only, of what
the vendor's side heard when it happened (a case accepted before its customer was known)."""


def event_data(ticket: Ticket, **extra: Any) -> dict[str, Any]:
    """The case as subscribers see it, plus what the event adds (``extra``)."""
    return {
        "ticket_id": str(ticket.id),
        "number": ticket.number,
        "customer_id": str(ticket.customer_id) if ticket.customer_id else None,
        "contact_id": str(ticket.contact_id),
        "status": ticket.status,
        "priority": ticket.priority,
        "subject": ticket.subject,
        "product_id": str(ticket.product_id),
        "version": ticket.version,
        "language": ticket.language,
        "agreement_id": str(ticket.agreement_id) if ticket.agreement_id else None,
        "case_visibility": ticket.case_visibility,
        **extra,
    }
