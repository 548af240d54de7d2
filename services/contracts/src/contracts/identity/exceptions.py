"""The errors of signing in and of API keys, each with its stable code and status."""

from __future__ import annotations

from collections.abc import Sequence

from careplane_shared.errors import (
    CareplaneError,
    Conflict,
    Forbidden,
    NotFound,
    Unauthenticated,
    ValidationFailed,
)


class InvalidGrant(CareplaneError):
    status_code = 400
    code = "INVALID_GRANT"
    message = "The email or password is not correct."


class InvalidClient(CareplaneError):
    status_code = 401
    code = "INVALID_CLIENT"
    message = "The client id or secret is not correct."


class UnsupportedGrantType(CareplaneError):
    status_code = 400
    code = "UNSUPPORTED_GRANT_TYPE"
    message = "Use grant_type password or client_credentials."


class TooManyAttempts(CareplaneError):
    """``Retry-After`` and ``details.retry_after`` say when to try again."""

    status_code = 429
    code = "TOO_MANY_ATTEMPTS"
    message = "Too many failed sign-ins. Try again later."

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            headers={"Retry-After": str(retry_after)}, details={"retry_after": retry_after}
        )


class AccountInactive(Unauthenticated):
    code = "ACCOUNT_INACTIVE"
    message = "The signed-in account is deactivated, or the API key revoked."


class ApiKeyNotFound(NotFound):
    code = "API_KEY_NOT_FOUND"
    message = "No such API key."


class KeyManagerNotHuman(Forbidden):
    """A key cannot mint, list or revoke keys."""

    code = "HUMAN_REQUIRED"
    message = "API keys are managed by people signed in, not by API keys."


class CustomerKeyRoleForbidden(Forbidden):
    code = "ROLE_FORBIDDEN"
    message = "Customers may create integration keys only."


class ServiceKeyRoleForbidden(Forbidden):
    code = "ROLE_FORBIDDEN"
    message = "Only administrators create service keys."


class KeyTenantForbidden(Forbidden):
    code = "TENANT_FORBIDDEN"
    message = "A key can only be created for your own customer."


class ServiceKeyBoundToCustomer(ValidationFailed):
    code = "API_KEY_INVALID"
    message = "A service key cannot be limited to a customer."


class ServiceKeyScoped(ValidationFailed):
    code = "API_KEY_INVALID"
    message = "Service keys are not scope-checked: give them no scopes."


class ApiKeyScopeUnknown(ValidationFailed):
    """``details`` lists the unknown scopes and the known ones."""

    code = "API_KEY_SCOPE_UNKNOWN"
    message = "Unknown API key scopes."

    def __init__(self, unknown: Sequence[str], known: Sequence[str]) -> None:
        super().__init__(details={"unknown": list(unknown), "known": list(known)})


class ApiKeyLimitReached(Conflict):
    code = "API_KEY_LIMIT_REACHED"
    message = "This customer has as many active API keys as it may: revoke one first."

    def __init__(self, limit: int) -> None:
        super().__init__(f"This customer already has {limit} active API keys: revoke one first.")
