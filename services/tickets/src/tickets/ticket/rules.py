"""The status model (docs/api.md, docs/domain.md section 2) and other pure case rules."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    NEW = "NEW"
    OPEN = "OPEN"
    WORKING = "WORKING"
    PENDING = "PENDING"
    ESCALATED = "ESCALATED"
    WITH_DEVELOPMENT = "WITH_DEVELOPMENT"
    CLOSED = "CLOSED"


class EscalationKind(StrEnum):
    CUSTOMER = "CUSTOMER"
    INTERNAL = "INTERNAL"


class TicketType(StrEnum):
    QUESTION = "question"
    LICENSING = "licensing"
    FEATURE_REQUEST = "feature_request"
    INCIDENT = "incident"
    UNEXPECTED_RESULTS = "unexpected_results"
    SERVICE_REQUEST = "service_request"
    KEY_REQUEST = "key_request"


class Channel(StrEnum):
    PORTAL = "portal"
    API = "api"
    EMAIL = "email"
    PHONE = "phone"
    CHAT = "chat"


# Staff move a case between these; NEW -> OPEN happens by itself, CLOSED -> OPEN is a reopen.
WORKFLOW = frozenset(
    {Status.OPEN, Status.WORKING, Status.PENDING, Status.ESCALATED, Status.WITH_DEVELOPMENT}
)


class TransitionError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def check_staff_transition(current: Status, target: Status) -> None:
    """Which status changes staff may make by hand (409 with a code otherwise)."""
    if target is Status.NEW:
        raise TransitionError("ILLEGAL_TRANSITION", "A case never goes back to NEW.")
    if current is target:
        raise TransitionError("STATUS_UNCHANGED", f"The case is {current.value} already.")
    if current is Status.CLOSED:
        raise TransitionError(
            "TICKET_CLOSED", "A closed case is reopened (POST .../reopen), not moved."
        )
    if current is Status.NEW and target is not Status.CLOSED:
        raise TransitionError(
            "ENTITLEMENT_PENDING",
            "A NEW case waits for its entitlement check; it opens by itself.",
        )


# Labels of the seed policies, most severe first: one triage order across plans.
_SEVERITY = {
    "CRITICAL": 0,
    "I": 0,
    "URGENT": 0,
    "HIGH": 1,
    "II": 1,
    "NORMAL": 2,
    "MEDIUM": 2,
    "III": 2,
    "LOW": 3,
}


def severity(priority: str | None) -> int:
    return _SEVERITY.get((priority or "").upper(), 2)
