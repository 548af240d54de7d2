"""The Client Services Manager of each region (seed 000)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from careplane_shared.auth import CurrentPrincipal
from careplane_shared.db import DbSession
from contracts.csm import service
from contracts.csm.schemas import ClientServicesManagerRead, ClientServicesManagerSet
from contracts.deps import Manager, Staff

router = APIRouter(prefix="/v1", tags=["client services managers"])


@router.get(
    "/client-services-managers",
    response_model=list[ClientServicesManagerRead],
    summary="The Client Services Manager of every region (staff).",
)
async def list_managers(session: DbSession, _: Staff) -> list[ClientServicesManagerRead]:
    return await service.list_managers(session)


@router.put(
    "/client-services-managers",
    response_model=ClientServicesManagerRead,
    summary="Name a region's Client Services Manager (managers).",
)
async def set_manager(
    session: DbSession, _: Manager, body: ClientServicesManagerSet
) -> ClientServicesManagerRead:
    """One per region; a customer's escalation goes to the manager of its region. 422
    `CLIENT_SERVICES_MANAGER_INVALID` for an unknown or inactive staff account."""
    return await service.set_manager(session, region=body.region, staff_user_id=body.staff_user_id)


@router.get(
    "/customers/{customer_id}/client-services-manager",
    response_model=ClientServicesManagerRead,
    summary="The Client Services Manager of a customer's region.",
)
async def manager_of_customer(
    session: DbSession, principal: CurrentPrincipal, customer_id: uuid.UUID
) -> ClientServicesManagerRead:
    """Staff, services and the customer's own people; 404
    `CLIENT_SERVICES_MANAGER_NOT_SET` when its region has none."""
    return await service.manager_of_customer(session, principal, customer_id)
