"""The errors of billable items, each with its stable code and status."""

from __future__ import annotations

from careplane_shared.errors import ValidationFailed


class IdempotencyKeyReused(ValidationFailed):
    code = "IDEMPOTENCY_KEY_REUSED"
    message = "This idempotency key was already used for a different item."


class MinutesRequired(ValidationFailed):
    code = "MINUTES_REQUIRED"
    message = "An other-support session is billed by its minutes: give `minutes`."


class PeriodOutOfOrder(ValidationFailed):
    code = "PERIOD_OUT_OF_ORDER"
    message = "`until` must be after `since`."
