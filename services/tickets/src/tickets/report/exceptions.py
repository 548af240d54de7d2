"""The SLA report's errors, each with its stable code."""

from __future__ import annotations

from careplane_shared.errors import ValidationFailed


class PeriodInvalid(ValidationFailed):
    code = "PERIOD_INVALID"
    message = "from and to need a time zone."


class PeriodOutOfOrder(ValidationFailed):
    code = "PERIOD_OUT_OF_ORDER"
    message = "`to` must be after `from`."


class ReportTooLarge(ValidationFailed):
    code = "REPORT_TOO_LARGE"
    message = "Too many cases in the period; narrow it down."
