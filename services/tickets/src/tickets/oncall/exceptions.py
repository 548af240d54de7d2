from __future__ import annotations

from careplane_shared.errors import Forbidden, NotFound, ServiceUnavailable, ValidationFailed


class ShiftNotFound(NotFound):
    code = "ONCALL_SHIFT_NOT_FOUND"
    message = "No such on-call shift."


class ShiftWindowInvalid(ValidationFailed):
    code = "ONCALL_SHIFT_WINDOW_INVALID"
    message = "A shift needs time zones, ends after it starts and lasts at most 7 days."


class SupportCenterUnknown(ValidationFailed):
    code = "SUPPORT_CENTER_UNKNOWN"
    message = "No support center has this code."


class VendorSideOnly(Forbidden):
    code = "ROLE_FORBIDDEN"
    message = "The on-call rota is the vendor's staff's."


class ContractsUnreachable(ServiceUnavailable):
    code = "CONTRACTS_UNAVAILABLE"
    message = "Contracts could not be asked; nothing was written."
