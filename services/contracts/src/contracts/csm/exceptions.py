"""The errors of the regions' Client Services Managers, each with its stable code."""

from __future__ import annotations

from careplane_shared.errors import NotFound, ValidationFailed


class ClientServicesManagerNotSet(NotFound):
    code = "CLIENT_SERVICES_MANAGER_NOT_SET"
    message = "The customer's region has no Client Services Manager."


class ClientServicesManagerInvalid(ValidationFailed):
    """Only an active staff account can own customers' escalations."""

    code = "CLIENT_SERVICES_MANAGER_INVALID"
    message = "The Client Services Manager must be an active staff account."
