"""Enums of the tickets domain. ``TicketStatus`` and ``EscalationKind`` are fixed points of the
public schema (docs/api.md); the others mirror the tickets service's own spellings."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum(
    description=(
        "NEW becomes OPEN by itself once the entitlement is confirmed; staff move a case "
        "between OPEN, WORKING, PENDING, ESCALATED, WITH_DEVELOPMENT and CLOSED; a customer "
        "reply to a PENDING case puts it back to OPEN."
    )
)
class TicketStatus(Enum):
    NEW = "NEW"
    OPEN = "OPEN"
    WORKING = "WORKING"
    PENDING = "PENDING"
    ESCALATED = "ESCALATED"
    WITH_DEVELOPMENT = "WITH_DEVELOPMENT"
    CLOSED = "CLOSED"


@strawberry.enum(
    description=(
        "CUSTOMER: the customer asks for the region's Client Services Manager. INTERNAL "
        "(staff only): the case goes to another team."
    )
)
class EscalationKind(Enum):
    CUSTOMER = "CUSTOMER"
    INTERNAL = "INTERNAL"


@strawberry.enum(description="What a case is about.")
class TicketType(Enum):
    QUESTION = "question"
    LICENSING = "licensing"
    FEATURE_REQUEST = "feature_request"
    INCIDENT = "incident"
    UNEXPECTED_RESULTS = "unexpected_results"
    SERVICE_REQUEST = "service_request"
    KEY_REQUEST = "key_request"


@strawberry.enum(description="How a case reached the vendor.")
class TicketChannel(Enum):
    PORTAL = "portal"
    API = "api"
    EMAIL = "email"
    PHONE = "phone"
    CHAT = "chat"


@strawberry.enum(
    description=(
        "PENDING: contracts could not be reached when the case arrived; the case is kept and "
        "checked again in the background. REFUSED: closed with the reasons on record."
    )
)
class EntitlementStatus(Enum):
    PENDING = "pending"
    ENTITLED = "entitled"
    REFUSED = "refused"


@strawberry.enum(description="Who wrote a message or made a change.")
class ActorKind(Enum):
    STAFF = "staff"
    CUSTOMER = "customer"
    SYSTEM = "system"
