"""With Development's errors, each with its stable code."""

from __future__ import annotations

from careplane_shared.errors import NotFound, Unauthenticated


class DevelopmentLinkNotFound(NotFound):
    code = "DEVELOPMENT_LINK_NOT_FOUND"
    message = "The case has not been handed to development."


class WebhookRefused(Unauthenticated):
    """A webhook whose signature or timestamp is not right; ``code`` says which."""

    code = "WEBHOOK_SIGNATURE_INVALID"
    message = "The webhook's signature does not match."


class WebhookTimestampInvalid(Unauthenticated):
    code = "WEBHOOK_TIMESTAMP_INVALID"
    message = "The webhook's timestamp is missing or outside the accepted window."


class WebhookOff(NotFound):
    """No secret is set for this deployment: the tracker's webhook is not offered."""

    code = "WEBHOOK_NOT_CONFIGURED"
    message = "The development webhook is not configured."
