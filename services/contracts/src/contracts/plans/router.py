from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from careplane_shared.auth import CurrentPrincipal
from careplane_shared.db import DbSession
from contracts.deps import Manager
from contracts.plans import service
from contracts.plans.schemas import PlanCreate, PlanRead, PlanUpdate

router = APIRouter(prefix="/v1/plans", tags=["plans"])


@router.get("", response_model=list[PlanRead], summary="Support plans on offer.")
async def list_plans(session: DbSession, _: CurrentPrincipal) -> list[PlanRead]:
    return [service.to_read(p) for p in await service.list_plans(session)]


@router.post(
    "", response_model=PlanRead, status_code=status.HTTP_201_CREATED, summary="Define a plan."
)
async def create_plan(session: DbSession, _: Manager, body: PlanCreate) -> PlanRead:
    """The SLA policy is validated here: time zones, ordered service hours, targets that
    name known priorities."""
    return service.to_read(await service.create_plan(session, body))


@router.get("/{plan_id}", response_model=PlanRead, summary="One plan.")
async def get_plan(session: DbSession, _: CurrentPrincipal, plan_id: uuid.UUID) -> PlanRead:
    return service.to_read(await service.get_plan(session, plan_id))


@router.patch("/{plan_id}", response_model=PlanRead, summary="Change a plan.")
async def update_plan(
    session: DbSession, _: Manager, plan_id: uuid.UUID, body: PlanUpdate
) -> PlanRead:
    """Open tickets keep the SLA snapshot they were opened with."""
    return service.to_read(await service.update_plan(session, plan_id, body))
