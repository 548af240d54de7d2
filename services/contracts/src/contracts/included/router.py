from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter

from careplane_shared.auth import CurrentPrincipal
from careplane_shared.db import DbSession
from contracts.clock import today
from contracts.customers.service import list_support_centers
from contracts.deps import StaffOrIntegration
from contracts.included import service
from contracts.included.schemas import CenterCalendar, IncludedServices

router = APIRouter(prefix="/v1", tags=["customers"])


@router.get(
    "/customers/{customer_id}/included-services",
    response_model=IncludedServices,
    summary="The services a customer's agreements in force include, and its support center.",
)
async def included_services(
    session: DbSession, principal: CurrentPrincipal, customer_id: uuid.UUID, day: date | None = None
) -> IncludedServices:
    """Tickets asks it before booking a scheduled visit or declaring an emergency. A
    customer's callers read their own customer's only."""
    return await service.included_services(session, principal, customer_id, day or today())


@router.get(
    "/support-center-calendars",
    response_model=list[CenterCalendar],
    tags=["support centers"],
    summary="Each support center's code, name and business calendar (the vendor's side).",
)
async def support_center_calendars(
    session: DbSession, _: StaffOrIntegration
) -> list[CenterCalendar]:
    """What tickets' on-call rota reads a center's timezone from."""
    return [
        CenterCalendar(
            code=c.code,
            name=c.name,
            timezone=str(c.calendar.get("timezone") or "UTC"),
            calendar=c.calendar,
        )
        for c in await list_support_centers(session)
    ]
