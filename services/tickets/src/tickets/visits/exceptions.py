"""The errors of scheduled visits, emergencies and the on-call rota, each with its stable
code and status."""

from __future__ import annotations

from careplane_shared.errors import Conflict, NotFound, ValidationFailed


class VisitNotFound(NotFound):
    code = "VISIT_NOT_FOUND"
    message = "No such visit."


class VisitTooSoon(ValidationFailed):
    """Seed 001: visits are scheduled at least two days in advance."""

    code = "VISIT_TOO_SOON"
    message = "A visit is booked and confirmed at least 48 hours before it starts."


class VisitWindowInvalid(ValidationFailed):
    code = "VISIT_WINDOW_INVALID"
    message = "A visit ends after it starts and lasts at most 14 days."


class VisitNotInPlan(ValidationFailed):
    """None of the customer's agreements in force includes ``scheduled_visits``."""

    code = "VISIT_NOT_IN_PLAN"
    message = "The customer's plan does not include scheduled visits."


class VisitOverlaps(Conflict):
    code = "VISIT_OVERLAPS"
    message = "The customer has another visit at that time."


class VisitNotRequested(Conflict):
    """Only a REQUESTED visit is confirmed."""

    code = "VISIT_NOT_REQUESTED"
    message = "Only a requested visit is confirmed."


class VisitAlreadyCancelled(Conflict):
    code = "VISIT_CANCELLED"
    message = "The visit is cancelled already."


class VisitAlreadyStarted(Conflict):
    code = "VISIT_STARTED"
    message = "The visit has started; it can no longer be cancelled."


class CustomerRequired(ValidationFailed):
    code = "CUSTOMER_REQUIRED"
    message = "customer_id names whose visit it is."


class ScheduledVisitReadOnly(ValidationFailed):
    """``scheduled_visit`` on a new case is set by the visits workflow only."""

    code = "SCHEDULED_VISIT_READ_ONLY"
    message = (
        "scheduled_visit is set by the visits workflow, never by the request: book a "
        "visit (POST /v1/visits) and cases opened while it runs get it."
    )
