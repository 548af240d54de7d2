"""The errors of license keys, each with its stable code and status."""

from __future__ import annotations

from careplane_shared.errors import Conflict, NotFound, ValidationFailed


class LicenseKeyNotFound(NotFound):
    code = "LICENSE_KEY_NOT_FOUND"
    message = "No such license key."


class VersionUnknown(ValidationFailed):
    code = "VERSION_UNKNOWN"
    message = "The product has no such major version."


class KeyExpiryInPast(ValidationFailed):
    code = "KEY_EXPIRY_IN_PAST"
    message = "The key would be expired already."


class LicenseKeyStatusTransition(Conflict):
    code = "LICENSE_KEY_STATUS_TRANSITION"
    message = "The key's status does not allow this."

    def __init__(self, status: str, target: str) -> None:
        super().__init__(
            f"A {status} key cannot be {target}.", details={"from": status, "to": target}
        )


class RevokedKeyNotReissued(Conflict):
    code = "LICENSE_KEY_STATUS_TRANSITION"
    message = "A revoked key cannot be reissued."
