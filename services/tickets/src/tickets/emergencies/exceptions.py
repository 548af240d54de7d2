from __future__ import annotations

from careplane_shared.errors import Conflict, NotFound, ValidationFailed


class EmergencyNotInPlan(ValidationFailed):
    """None of the customer's agreements in force includes ``emergency``."""

    code = "EMERGENCY_NOT_IN_PLAN"
    message = "The customer's plan does not include emergency support."


class EmergencyAlreadyDeclared(Conflict):
    code = "EMERGENCY_ALREADY_DECLARED"
    message = "This case is an emergency already."


class EmergencyNotFound(NotFound):
    code = "EMERGENCY_NOT_FOUND"
    message = "This case is not an emergency."
