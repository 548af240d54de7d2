"""Input types of the tickets domain, each with the REST body (or query) it becomes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from careplane_gateway.graphql.arguments import (
    VALIDATION_ERROR,
    iso,
    optional_uuid_arg,
    present,
    uuid_arg,
)
from careplane_gateway.graphql.contracts.enums import Language
from careplane_gateway.graphql.errors import gateway_error
from careplane_gateway.graphql.tickets.enums import TicketChannel, TicketStatus


@strawberry.input(description="Which cases: every condition given must hold.")
class TicketFilter:
    status: list[TicketStatus] | None = strawberry.field(
        default=None, description="Any of these statuses."
    )
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this customer's cases."
    )
    contact_id: strawberry.ID | None = strawberry.field(default=None, description="The requester.")
    product_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only cases about this product."
    )
    assignee_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only cases assigned to this staff user."
    )
    language: Language | None = strawberry.field(
        default=None, description="Only cases in this language."
    )
    support_center: str | None = strawberry.field(
        default=None, description="A support center's code, e.g. broomfield."
    )
    search: str | None = strawberry.field(
        default=None, description="Part of the subject, or a whole case number."
    )

    def to_params(self) -> dict[str, Any]:
        return present(
            {
                "status": [s.value for s in self.status] if self.status else None,
                "customer_id": optional_uuid_arg(self.customer_id, "filter.customerId"),
                "contact_id": optional_uuid_arg(self.contact_id, "filter.contactId"),
                "product_id": optional_uuid_arg(self.product_id, "filter.productId"),
                "assignee_id": optional_uuid_arg(self.assignee_id, "filter.assigneeId"),
                "language": self.language.value if self.language else None,
                "support_center": self.support_center,
                "search": self.search,
            }
        )


@strawberry.input(description="A reference to the case in another system, e.g. a CRM.")
class ExternalRefInput:
    system: str = strawberry.field(description="The other system, e.g. a CRM's name.")
    reference: str = strawberry.field(description="The case's ID in that system.")


@strawberry.input(
    description=(
        "A new case. Contracts checks the entitlement: a refusal is a NOT_ENTITLED error with "
        "the reason codes; an entitled case gets its number and SLA clocks at once."
    )
)
class OpenTicketInput:
    contact_id: strawberry.ID | None = strawberry.field(
        default=None,
        description=(
            "The requester. Staff and integrations name one; a contact leaves it out to open "
            "its own case (a customer administrator may name a colleague)."
        ),
    )
    product_id: strawberry.ID = strawberry.field(description="The product the case is about.")
    version: str = strawberry.field(description="The product version, e.g. 3.1.")
    subject: str = strawberry.field(description="A one-line summary.")
    description: str = strawberry.field(description="The full description of the problem.")
    type: str | None = strawberry.field(
        default=None,
        description="A `TicketType` name, e.g. INCIDENT (any case); QUESTION if unset.",
    )
    priority: str | None = strawberry.field(
        default=None, description="One of the plan's priorities; the plan's default if unset."
    )
    received_at: datetime | None = strawberry.field(
        default=None,
        description=(
            "Staff and integrations only: when a phone call or mail actually arrived; defaults "
            "to now; never in the future."
        ),
    )
    error_code: str | None = strawberry.field(
        default=None, description="The error code shown, if any."
    )
    error_message: str | None = strawberry.field(
        default=None, description="The error message shown, if any."
    )
    steps_to_reproduce: str | None = strawberry.field(
        default=None, description="How to make the problem happen, if known."
    )
    language: Language | None = strawberry.field(
        default=None, description="The customer's language if unset."
    )
    channel: TicketChannel | None = strawberry.field(default=None, description="API if unset.")
    external_refs: list[ExternalRefInput] | None = strawberry.field(
        default=None, description="References to the case in other systems (at most 20)."
    )
    scheduled_visit: bool | None = strawberry.field(
        default=None,
        description=(
            "Never set: the visits workflow sets it (a case opened while its customer's "
            "confirmed visit runs); any value is refused with SCHEDULED_VISIT_READ_ONLY."
        ),
        deprecation_reason="Set by the visits workflow (scheduleVisit), never by the request.",
    )
    suggestion_id: strawberry.ID | None = strawberry.field(
        default=None,
        description=(
            "The `knowledgeSuggestions` record shown while this case was written: recorded "
            "as opened all the same."
        ),
    )

    def to_rest(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "contact_id": optional_uuid_arg(self.contact_id, "input.contactId"),
            "product_id": uuid_arg(self.product_id, "input.productId"),
            "version": self.version,
            "subject": self.subject,
            "description": self.description,
            "priority": self.priority,
            "received_at": iso(self.received_at),
            "error_code": self.error_code,
            "error_message": self.error_message,
            "steps_to_reproduce": self.steps_to_reproduce,
            "language": self.language.value if self.language else None,
        }
        if self.suggestion_id is not None:
            body["suggestion_id"] = uuid_arg(self.suggestion_id, "input.suggestionId")
        # Left out when unset, so the service's own defaults apply (and the visit field's
        # refusal is the service's).
        if self.scheduled_visit is not None:
            body["scheduled_visit"] = self.scheduled_visit
        if self.type is not None:
            body["type"] = self.type.lower()
        if self.channel is not None:
            body["channel"] = self.channel.value
        if self.external_refs:
            refs = {ref.system: ref.reference for ref in self.external_refs}
            if len(refs) != len(self.external_refs):
                raise gateway_error(
                    VALIDATION_ERROR,
                    "`input.externalRefs` names a system twice.",
                    argument="input.externalRefs",
                )
            body["external_refs"] = refs
        return body


@strawberry.input(description="Something that happened to a simulated case.")
class SlaEventInput:
    at: datetime = strawberry.field(description="When the event happens.")
    kind: str = strawberry.field(
        description="STAFF_REPLY, CUSTOMER_REPLY, STATUS_CHANGE or PRIORITY_CHANGE."
    )
    status: TicketStatus | None = strawberry.field(
        default=None, description="The new status of a STATUS_CHANGE."
    )
    priority: str | None = strawberry.field(
        default=None, description="The new priority of a PRIORITY_CHANGE."
    )
    automated: bool = strawberry.field(
        default=False, description="A system's message: never a response."
    )
    internal: bool = strawberry.field(
        default=False, description="An internal note: never a response."
    )

    def to_rest(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "kind": self.kind,
            "status": self.status.value if self.status else None,
            "priority": self.priority,
            "automated": self.automated,
            "internal": self.internal,
        }


@strawberry.input(
    description=(
        "A what-if for the SLA engine: the clocks a case would have under a plan, given when "
        "it arrived and what happened since."
    )
)
class SlaSimulationInput:
    plan_id: strawberry.ID = strawberry.field(description="The plan whose SLA policy applies.")
    priority: str = strawberry.field(description="One of the plan's priorities.")
    received_at: datetime = strawberry.field(description="When the case arrives.")
    customer_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Whose calendar, where the plan uses the customer's support center.",
    )
    events: list[SlaEventInput] | None = strawberry.field(
        default_factory=list, description="Oldest first."
    )
    as_of: datetime | None = strawberry.field(
        default=None, description="The clocks as they stand at this moment; now if unset."
    )
    scheduled_visit: bool = strawberry.field(
        default=False, description="Raised during a scheduled customer visit."
    )

    def to_rest(self) -> dict[str, Any]:
        return {
            "plan_id": uuid_arg(self.plan_id, "input.planId"),
            "priority": self.priority,
            "received_at": self.received_at.isoformat(),
            "customer_id": optional_uuid_arg(self.customer_id, "input.customerId"),
            "events": [event.to_rest() for event in self.events or ()],
            "as_of": iso(self.as_of),
            "scheduled_visit": self.scheduled_visit,
        }
