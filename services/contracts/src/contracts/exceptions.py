"""Errors every domain of contracts answers alike; each domain's own are in its
``exceptions`` module."""

from __future__ import annotations

from careplane_shared.errors import Forbidden, ValidationFailed


class FieldNotNullable(ValidationFailed):
    """A field an update names may not be cleared (a null would otherwise reach the
    database as a NOT NULL violation)."""

    code = "VALIDATION_ERROR"
    message = "This field cannot be null."

    def __init__(self, name: str) -> None:
        super().__init__(f"{name} cannot be null.")


class VendorSideOnly(Forbidden):
    """A route for the vendor's side reached by someone else; ``details`` name the
    caller's role and kind."""

    code = "ROLE_FORBIDDEN"
    message = "Only the vendor's staff, its own integrations and services may do this."

    def __init__(self, *, role: str, kind: str) -> None:
        super().__init__(details={"role": role, "kind": kind})
