"""The errors answered when asking the other services, each with its stable code and
status."""

from __future__ import annotations

from careplane_shared.errors import NotFound, ServiceUnavailable


class TicketNotFound(NotFound):
    code = "TICKET_NOT_FOUND"
    message = "No such case."


class TicketsUnavailable(ServiceUnavailable):
    code = "TICKETS_UNAVAILABLE"
    message = "Tickets could not be asked about the case."

    @classmethod
    def answered(cls, status_code: int) -> TicketsUnavailable:
        return cls(f"Tickets answered {status_code} about the case.")
