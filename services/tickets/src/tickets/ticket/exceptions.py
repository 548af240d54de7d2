"""The errors of the cases' domain, each with its stable code and status."""

from __future__ import annotations

from careplane_shared.errors import CareplaneError, Conflict, Forbidden, NotFound, ValidationFailed


class TicketNotFound(NotFound):
    code = "TICKET_NOT_FOUND"
    message = "No such ticket."


class ContactNotFound(NotFound):
    """The same answer for a contact that does not exist and one of another customer."""

    code = "CONTACT_NOT_FOUND"
    message = "No such contact."


class NotEntitled(CareplaneError):
    status_code = 403
    code = "NOT_ENTITLED"
    message = "This contact may not open this case."


class RefusedCaseNotReopened(Conflict):
    """A case closed because its entitlement was refused stays closed."""

    code = "NOT_ENTITLED"
    message = "A case refused for entitlement cannot be reopened."


class ContactForbidden(Forbidden):
    code = "CONTACT_FORBIDDEN"
    message = "Contacts open cases for themselves."


class ContactRequired(ValidationFailed):
    code = "CONTACT_REQUIRED"
    message = "contact_id names the requester."


class ReceivedAtInvalid(ValidationFailed):
    code = "RECEIVED_AT_INVALID"
    message = "received_at needs a time zone."


class ReceivedAtInFuture(ValidationFailed):
    code = "RECEIVED_AT_IN_FUTURE"
    message = "received_at cannot be in the future."


class PriorityUnknown(ValidationFailed):
    """Not one of the plan's priorities; ``details.allowed`` lists them."""

    code = "PRIORITY_UNKNOWN"
    message = "The priority is not one of this plan's."


class PriorityUnchanged(Conflict):
    code = "PRIORITY_UNCHANGED"
    message = "The case has this priority already."


class TicketClosed(Conflict):
    code = "TICKET_CLOSED"
    message = "The case is closed; reopen it first."


class TicketNotClosed(Conflict):
    code = "TICKET_NOT_CLOSED"
    message = "Only a closed case is reopened."


class EntitlementPending(Conflict):
    code = "ENTITLEMENT_PENDING"
    message = "The case waits for its entitlement check."
