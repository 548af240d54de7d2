from __future__ import annotations

from fastapi import APIRouter

from careplane_shared.auth import CurrentPrincipal
from careplane_shared.db import DbSession
from contracts.entitlement import service
from contracts.entitlement.schemas import EntitlementCheck, EntitlementResult

router = APIRouter(prefix="/v1/entitlements", tags=["entitlement"])


@router.post("/check", response_model=EntitlementResult, summary="May this contact open this case?")
async def check(
    session: DbSession, principal: CurrentPrincipal, body: EntitlementCheck
) -> EntitlementResult:
    """Answers yes or no with machine-readable reasons, the version's phase, the support
    scope, the quota left and the SLA policy snapshot the case will run under. Unknown
    contact or product ids are 404s; a refusal is a 200 with `entitled: false`. A contact
    may check itself; a customer administrator its own customer's contacts."""
    return await service.check(session, principal, body)
