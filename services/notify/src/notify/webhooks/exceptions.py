"""The errors of webhook endpoints, each with its stable code and status."""

from __future__ import annotations

from careplane_shared.errors import Conflict, NotFound


class WebhookEndpointNotFound(NotFound):
    code = "WEBHOOK_ENDPOINT_NOT_FOUND"
    message = "No such webhook endpoint."


class WebhookEndpointLimitReached(Conflict):
    code = "WEBHOOK_ENDPOINT_LIMIT_REACHED"
    message = "This customer has as many webhook endpoints as it may; delete one first."
