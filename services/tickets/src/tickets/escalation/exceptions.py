"""The errors of escalations, contact attempts and change requests, each with its stable
code and status."""

from __future__ import annotations

from careplane_shared.errors import Conflict, Forbidden, ValidationFailed


class ReasonRequired(ValidationFailed):
    code = "ESCALATION_REASON_REQUIRED"
    message = "Say why the case is escalated."


class TeamRequired(ValidationFailed):
    code = "ESCALATION_TEAM_REQUIRED"
    message = (
        "An internal escalation names the team (letters, digits, spaces and & / . _ -, "
        "at most 100)."
    )


class EscalationOpen(Conflict):
    code = "ESCALATION_OPEN"
    message = "The case already has an open escalation of this kind."


class NoOpenEscalation(Conflict):
    code = "NO_OPEN_ESCALATION"
    message = "The case has no open escalation of this kind."


class NotEscalationOwner(Forbidden):
    code = "NOT_ESCALATION_OWNER"
    message = (
        "A customer's escalation is resolved by its Client Services Manager, or by a "
        "manager or administrator."
    )


class MotivationRequired(ValidationFailed):
    code = "MOTIVATION_REQUIRED"
    message = "A change request says why the case needs another priority."


class DecisionReasonRequired(ValidationFailed):
    code = "DECISION_REASON_REQUIRED"
    message = "Staff say why they accept or refuse a change request."


class ChangeRequestPending(Conflict):
    code = "CHANGE_REQUEST_PENDING"
    message = "The case has a change request waiting for a decision."


class NoPendingChangeRequest(Conflict):
    code = "NO_PENDING_CHANGE_REQUEST"
    message = "The case has no change request waiting for a decision."


class CustomersOnly(Forbidden):
    """Staff change the priority themselves (POST .../priority)."""

    code = "CUSTOMERS_ONLY"
    message = "A change request is the customer's; staff change the priority directly."


class ResolutionRequired(ValidationFailed):
    code = "ESCALATION_RESOLUTION_REQUIRED"
    message = "Say how the customer's escalation was resolved."
