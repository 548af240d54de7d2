"""The errors of maintenance windows, each with its stable code and status."""

from __future__ import annotations

from collections.abc import Iterable

from careplane_shared.errors import Conflict, NotFound, ServiceUnavailable, ValidationFailed


class MaintenanceWindowNotFound(NotFound):
    code = "MAINTENANCE_WINDOW_NOT_FOUND"
    message = "No such maintenance window."


class AudienceUnavailable(ServiceUnavailable):
    code = "CONTRACTS_UNAVAILABLE"
    message = "Contracts could not tell which customers are affected; nothing was sent."


class UnknownCustomers(ValidationFailed):
    """``details`` name the customers that do not exist."""

    code = "UNKNOWN_CUSTOMERS"
    message = "Some customers do not exist."

    def __init__(self, unknown: Iterable[str]) -> None:
        super().__init__(details=[{"loc": ["body", "customer_ids"], "msg": sorted(unknown)}])


class AlreadyCancelled(Conflict):
    code = "ALREADY_CANCELLED"
    message = "The maintenance window is already cancelled."
