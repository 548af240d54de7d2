"""What of an event reaches webhook endpoints and chat channels, as against mail.

Mail goes to named people and renders the whole event; an endpoint or a channel passes the
event's data on to whoever reads that system, and a customer's own endpoints and channels
get every event about that customer. So, before the data is written into their deliveries:

- ``MAIL_ONLY``: a one-time credential meant for one mail's recipient reaches no endpoint
  or channel, the vendor's or a customer's. ``survey.invited``'s ``survey_url`` is the
  signed link that answers the contact's survey (and opts the contact out of surveys): it
  is in the invitation mail only; the event still tells subscribers a survey went out.
- ``STAFF_ONLY``: the vendor's staff addresses reach the vendor's own endpoints and
  channels only. ``ticket.emergency`` and ``visit.started`` name the staff on call
  (``on_call``, whom notify alerts by mail); a customer's own endpoints and channels get
  the emergency or the visit without them. ``feature_request.to_sales`` carries staff's
  note to sales and who routed it: a customer's own get that its case went to sales.

The event's trace context (``traceparent``, ``tracestate``: our own trace ids) is internal:
it is kept beside the data in each delivery's payload, for the delivery's span, and reaches
no endpoint, channel or mail (they are built from ``data``) and no reader of the
deliveries API (:func:`shown`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from careplane_shared.events import CloudEvent
from careplane_shared.tracing import TRACE_CONTEXT_KEYS

MAIL_ONLY: Mapping[str, tuple[str, ...]] = {"survey.invited": ("survey_url",)}
STAFF_ONLY: Mapping[str, tuple[str, ...]] = {
    "ticket.emergency": ("on_call",),
    "visit.started": ("on_call",),
    # Staff's note to sales on a customization to price, and who routed it.
    "feature_request.to_sales": ("note", "routed_by"),
}


def _without(data: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in keys} if keys else data


def for_vendor_targets(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """The data the vendor's own (global) endpoints and channels get."""
    return _without(data, MAIL_ONLY.get(event_type, ()))


def for_customer_targets(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """The data a customer's own endpoints and channels get."""
    return _without(data, MAIL_ONLY.get(event_type, ()) + STAFF_ONLY.get(event_type, ()))


def trace_context(event: CloudEvent) -> dict[str, str]:
    """What a delivery keeps of the event's trace context (empty while tracing is off)."""
    return {key: value for key in TRACE_CONTEXT_KEYS if (value := getattr(event, key))}


def shown(payload: dict[str, Any]) -> dict[str, Any]:
    """A delivery's payload less its trace context."""
    return _without(payload, TRACE_CONTEXT_KEYS)
