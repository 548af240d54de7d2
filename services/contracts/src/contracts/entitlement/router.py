from __future__ import annotations

from fastapi import APIRouter, Response

from careplane_shared.auth import READS_ONLY, CurrentPrincipal
from careplane_shared.db import ReadSession
from contracts.entitlement import service
from contracts.entitlement.schemas import EntitlementCheck, EntitlementResult

router = APIRouter(prefix="/v1/entitlements", tags=["entitlement"])


@router.post(
    "/check",
    response_model=EntitlementResult,
    summary="May this contact open this case?",
    openapi_extra=READS_ONLY,
)
async def check(
    session: ReadSession, principal: CurrentPrincipal, body: EntitlementCheck
) -> Response:
    """Answers yes or no with machine-readable reasons, the version's phase, the support
    scope, the quota left and the SLA policy snapshot the case will run under. Unknown
    contact or product ids are 404s; a refusal is a 200 with `entitled: false`. A contact
    may check itself; a customer administrator (or a key bound to its customer) its own
    customer's contacts. Another customer's contact answers exactly as one that does not
    exist (404 `CONTACT_NOT_FOUND`, checked before anything else): with `customer_id`, a
    service asking for a customer's caller gets the same wall."""
    result = await service.check(session, principal, body)
    # Asked at every case opened: the answer, validated once when built, is serialized
    # here rather than validated again by FastAPI against the response model.
    return Response(result.model_dump_json(), media_type="application/json")
