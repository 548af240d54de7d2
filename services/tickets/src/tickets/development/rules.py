"""With Development's pure rules: when a case may be handed to development, when a fix
may be reported, where the case goes then, and how a webhook from the tracker proves it
came from the tracker.

After a fix the case goes to PENDING: the fix is in a version the customer must install,
so support waits for the customer to confirm it (a customer reply puts a PENDING case back
to OPEN, the status model's own rule); staff close it once confirmed.

Webhook signature: ``X-Careplane-Timestamp`` is the sending time in Unix seconds and
``X-Careplane-Signature`` is ``sha256=<hex HMAC-SHA256 of "<timestamp>." + body>`` with the
deployment's secret. The timestamp is signed with the body, so an old request cannot be
replayed with a fresh timestamp, and one older (or newer) than the tolerance is refused.
"""

from __future__ import annotations

import hashlib
import hmac

from tickets.ticket.rules import Status

# What a case goes to once development reports the fix: waiting for the customer.
AFTER_FIX = Status.PENDING
SIGNATURE_PREFIX = "sha256="


class DevelopmentRuleError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def check_hand_over(status: Status) -> None:
    if status is Status.CLOSED:
        raise DevelopmentRuleError("TICKET_CLOSED", "The case is closed; reopen it first.")
    if status is Status.NEW:
        raise DevelopmentRuleError(
            "ENTITLEMENT_PENDING", "The case waits for its entitlement check."
        )
    if status is Status.WITH_DEVELOPMENT:
        raise DevelopmentRuleError(
            "ALREADY_WITH_DEVELOPMENT", "The case is with development already."
        )


def check_fix(status: Status) -> None:
    if status is not Status.WITH_DEVELOPMENT:
        raise DevelopmentRuleError(
            "NOT_WITH_DEVELOPMENT", "Only a case with development has a fix reported."
        )


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()


def check_signature(
    *,
    secret: str,
    timestamp: str | None,
    given: str | None,
    body: bytes,
    now: float,
    tolerance_seconds: float,
) -> None:
    """Refuses a request without a fresh timestamp or whose signature is not the body's
    (compared in constant time)."""
    if not timestamp or not timestamp.isdigit() or len(timestamp) > 12:
        raise DevelopmentRuleError("WEBHOOK_TIMESTAMP_INVALID", "The timestamp is missing.")
    if abs(now - int(timestamp)) > tolerance_seconds:
        raise DevelopmentRuleError(
            "WEBHOOK_TIMESTAMP_INVALID", "The timestamp is outside the accepted window."
        )
    expected = signature(secret, timestamp, body)
    if not given or not hmac.compare_digest(expected.encode(), given.strip().encode()):
        raise DevelopmentRuleError("WEBHOOK_SIGNATURE_INVALID", "The signature does not match.")
