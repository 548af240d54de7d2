"""The errors of the cases' domain, each with its stable code."""

from __future__ import annotations

from careplane_shared.errors import CareplaneError, NotFound


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
