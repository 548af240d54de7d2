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
    NEW = strawberry.enum_value("NEW", description="Received; waiting for the entitlement check.")
    OPEN = strawberry.enum_value("OPEN", description="Waiting for staff.")
    WORKING = strawberry.enum_value("WORKING", description="Staff are working on it.")
    PENDING = strawberry.enum_value(
        "PENDING", description="Waiting for the customer; the clocks pause."
    )
    ESCALATED = strawberry.enum_value(
        "ESCALATED", description="Escalated to a manager or another team."
    )
    WITH_DEVELOPMENT = strawberry.enum_value(
        "WITH_DEVELOPMENT", description="With the development team."
    )
    CLOSED = strawberry.enum_value("CLOSED", description="Resolved and closed.")


@strawberry.enum(
    description=(
        "CUSTOMER: the customer asks for the region's Client Services Manager. INTERNAL "
        "(staff only): the case goes to another team."
    )
)
class EscalationKind(Enum):
    CUSTOMER = strawberry.enum_value(
        "CUSTOMER", description="The customer asks for the region's Client Services Manager."
    )
    INTERNAL = strawberry.enum_value(
        "INTERNAL", description="Staff only: the case goes to another team."
    )


@strawberry.enum(description="What a case is about.")
class TicketType(Enum):
    QUESTION = strawberry.enum_value("question", description="A question on use.")
    LICENSING = strawberry.enum_value("licensing", description="About licensing.")
    FEATURE_REQUEST = strawberry.enum_value(
        "feature_request", description="A request for a new feature."
    )
    INCIDENT = strawberry.enum_value("incident", description="Something is broken.")
    UNEXPECTED_RESULTS = strawberry.enum_value(
        "unexpected_results", description="Something works but gives unexpected results."
    )
    SERVICE_REQUEST = strawberry.enum_value(
        "service_request", description="A request for a service, e.g. a visit."
    )
    KEY_REQUEST = strawberry.enum_value("key_request", description="A request for a license key.")


@strawberry.enum(description="How a case reached the vendor.")
class TicketChannel(Enum):
    PORTAL = strawberry.enum_value("portal", description="Through the web portal.")
    API = strawberry.enum_value("api", description="Through the API.")
    EMAIL = strawberry.enum_value("email", description="By email.")
    PHONE = strawberry.enum_value("phone", description="By phone, entered by staff.")
    CHAT = strawberry.enum_value("chat", description="By chat.")


@strawberry.enum(
    description=(
        "PENDING: contracts could not be reached when the case arrived; the case is kept and "
        "checked again in the background. REFUSED: closed with the reasons on record."
    )
)
class EntitlementStatus(Enum):
    PENDING = strawberry.enum_value(
        "pending",
        description="Accepted before contracts could answer; checked again in the background.",
    )
    ENTITLED = strawberry.enum_value("entitled", description="Contracts confirmed the entitlement.")
    REFUSED = strawberry.enum_value("refused", description="The background check refused the case.")


@strawberry.enum(description="Who wrote a message or made a change.")
class ActorKind(Enum):
    STAFF = strawberry.enum_value("staff", description="A member of the vendor's support staff.")
    CUSTOMER = strawberry.enum_value(
        "customer", description="A customer's contact or a customer's integration key."
    )
    SYSTEM = strawberry.enum_value(
        "system",
        description=(
            "The platform itself (timers, entitlement checks, integrations acting for it)."
        ),
    )
