"""The errors of agreements and their quota, each with its stable code and status."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from careplane_shared.errors import Conflict, NotFound, ValidationFailed


class AgreementNotFound(NotFound):
    code = "AGREEMENT_NOT_FOUND"
    message = "No such agreement."


class QuotaExhausted(Conflict):
    code = "QUOTA_EXHAUSTED"
    message = "The agreement's ticket quota is used up."


class NoQuota(Conflict):
    code = "PLAN_HAS_NO_QUOTA"
    message = "This agreement's plan has no ticket quota."


class PlanInactive(ValidationFailed):
    code = "PLAN_INACTIVE"
    message = "This plan is no longer offered."


class ProductsUnknown(ValidationFailed):
    """Products an agreement names that do not exist (``details.product_ids``)."""

    code = "PRODUCT_NOT_FOUND"
    message = "Unknown products."

    def __init__(self, missing: Sequence[uuid.UUID]) -> None:
        super().__init__(details={"product_ids": [str(m) for m in missing]})


class PlanPrerequisiteMissing(ValidationFailed):
    code = "PLAN_PREREQUISITE_MISSING"
    message = "This plan needs an active agreement on its prerequisite plan."

    @classmethod
    def on_create(cls, prerequisite_plan_id: uuid.UUID | None) -> PlanPrerequisiteMissing:
        return cls(details={"prerequisite_plan_id": str(prerequisite_plan_id)})

    @classmethod
    def on_renewal(cls) -> PlanPrerequisiteMissing:
        return cls(
            "This plan needs an active agreement on its prerequisite plan: renew that first."
        )


class AgreementNotRenewable(Conflict):
    code = "AGREEMENT_NOT_RENEWABLE"
    message = "A cancelled or suspended agreement cannot be renewed."

    def __init__(self, status: str) -> None:
        super().__init__(f"A {status} agreement cannot be renewed.")


class AgreementAlreadyRenewed(Conflict):
    """``details.agreement_id`` names the next year's agreement."""

    code = "AGREEMENT_ALREADY_RENEWED"
    message = "This agreement year was renewed already."

    def __init__(self, successor: uuid.UUID) -> None:
        super().__init__(details={"agreement_id": str(successor)})


class AgreementStatusTransition(Conflict):
    code = "AGREEMENT_STATUS_TRANSITION"
    message = "An agreement cannot go from its status to the one asked for."

    def __init__(self, old: str, new: str) -> None:
        super().__init__(
            f"An agreement cannot go from {old} to {new}.", details={"from": old, "to": new}
        )


class AgreementNotOfCustomer(ValidationFailed):
    """A request names an agreement (to bind a license key to, to bill against) that does
    not exist or belongs to another customer."""

    code = "AGREEMENT_NOT_FOUND"
    message = "The agreement is not this customer's."
