"""The mail intake's errors, each with its stable code."""

from __future__ import annotations

from fastapi import status

from careplane_shared.errors import CareplaneError, Conflict, Forbidden, NotFound


class QuarantineNotFound(NotFound):
    code = "QUARANTINE_NOT_FOUND"
    message = "No such quarantined mail."


class QuarantineDecided(Conflict):
    code = "QUARANTINE_DECIDED"
    message = "This mail was already released or rejected."


class QuarantineNoContact(Conflict):
    """A held mail that names no case opens one only for a registered contact."""

    code = "QUARANTINE_NO_CONTACT"
    message = "The sender is no registered contact: the mail cannot open a case."


class RawMessageNotFound(NotFound):
    code = "RAW_MESSAGE_NOT_FOUND"
    message = "This message did not come by mail."


class InboundScopeRequired(Forbidden):
    code = "SCOPE_FORBIDDEN"
    message = "Posting mail needs an API key with the inbound:write scope."


class MessageTooLarge(CareplaneError):
    status_code = status.HTTP_413_CONTENT_TOO_LARGE
    code = "PAYLOAD_TOO_LARGE"
    message = "The message is over the size limit for inbound mail."
