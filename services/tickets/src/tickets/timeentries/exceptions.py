"""The time entries' errors, each with its stable code."""

from __future__ import annotations

from careplane_shared.errors import Conflict, NotFound, ValidationFailed


class TimeEntryNotFound(NotFound):
    code = "TIME_ENTRY_NOT_FOUND"
    message = "No such time entry."


class TimeEntryBilled(Conflict):
    code = "TIME_ENTRY_BILLED"
    message = "This time entry has been billed; it no longer changes."


class TimeEntryNotBillable(ValidationFailed):
    code = "TIME_ENTRY_NOT_BILLABLE"
    message = "Only work on a customer's case is billed."


class WorkedAtInFuture(ValidationFailed):
    code = "WORKED_AT_IN_FUTURE"
    message = "worked_at cannot be in the future."
