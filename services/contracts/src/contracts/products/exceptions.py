"""The errors of products, their major versions and releases, each with its stable code
and status."""

from __future__ import annotations

from careplane_shared.errors import Conflict, NotFound, ValidationFailed
from contracts.products.lifecycle import MilestoneError


class ProductNotFound(NotFound):
    code = "PRODUCT_NOT_FOUND"
    message = "No such product."


class MajorVersionNotFound(NotFound):
    code = "VERSION_NOT_FOUND"
    message = "No such major version of this product."


class ProductCodeTaken(Conflict):
    code = "PRODUCT_CODE_TAKEN"
    message = "A product with this code exists."


class VersionExists(Conflict):
    code = "VERSION_EXISTS"
    message = "This major version exists."


class ReleaseExists(Conflict):
    code = "RELEASE_EXISTS"
    message = "This release exists."


class OverrideReasonRequired(ValidationFailed):
    code = "OVERRIDE_REASON_REQUIRED"
    message = "Overriding EOMS or EOL needs a reason."


class ReleaseMajorMismatch(ValidationFailed):
    code = "RELEASE_MAJOR_MISMATCH"
    message = "The release does not belong to this major version."

    def __init__(self, version: str, major: int) -> None:
        super().__init__(f"Release {version} does not belong to major version {major}.")


class MilestonesInvalid(ValidationFailed):
    """A lifecycle rule refused the milestones: the code and message are the rule's
    (:class:`contracts.products.lifecycle.MilestoneError`)."""

    def __init__(self, error: MilestoneError) -> None:
        super().__init__(str(error), code=error.code)
