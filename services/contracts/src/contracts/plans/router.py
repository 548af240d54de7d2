from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, status

from careplane_shared.auth import CurrentPrincipal
from careplane_shared.db import DbSession, ReadSession
from careplane_shared.sla_policy import CalendarSpec, SlaPolicy
from contracts.customers import service as customers
from contracts.deps import Manager
from contracts.plans import service
from contracts.plans.schemas import PlanCreate, PlanRead, PlanUpdate

router = APIRouter(prefix="/v1/plans", tags=["plans"])


@router.get("", response_model=list[PlanRead], summary="Support plans on offer.")
async def list_plans(session: ReadSession, _: CurrentPrincipal) -> list[PlanRead]:
    return [service.to_read(p) for p in await service.list_plans(session)]


@router.post(
    "", response_model=PlanRead, status_code=status.HTTP_201_CREATED, summary="Define a plan."
)
async def create_plan(session: DbSession, _: Manager, body: PlanCreate) -> PlanRead:
    """The SLA policy is validated here: time zones, ordered service hours, targets that
    name known priorities."""
    return service.to_read(await service.create_plan(session, body))


@router.get("/{plan_id}", response_model=PlanRead, summary="One plan.")
async def get_plan(session: ReadSession, _: CurrentPrincipal, plan_id: uuid.UUID) -> PlanRead:
    return service.to_read(await service.get_plan(session, plan_id))


@router.patch("/{plan_id}", response_model=PlanRead, summary="Change a plan.")
async def update_plan(
    session: DbSession, _: Manager, plan_id: uuid.UUID, body: PlanUpdate
) -> PlanRead:
    """Open tickets keep the SLA snapshot they were opened with."""
    return service.to_read(await service.update_plan(session, plan_id, body))


@router.get(
    "/{plan_id}/sla-policy",
    response_model=dict[str, Any],
    summary="The plan's SLA policy as a case would run under it (calendar resolved).",
)
async def resolved_sla_policy(
    session: ReadSession,
    principal: CurrentPrincipal,
    plan_id: uuid.UUID,
    customer_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """Where the plan uses the customer's support center (InfoCare), `customer_id` picks
    the center's calendar; without it the plan's own calendar applies. Used by what-if
    simulations of the SLA engine."""
    plan = await service.get_plan(session, plan_id)
    policy = SlaPolicy.model_validate(plan.sla_policy)
    center_calendar = None
    if customer_id is not None:
        customer = await customers.get_customer(session, principal, customer_id)
        center = await customers.support_center_for(session, customer)
        center_calendar = CalendarSpec.model_validate(center.calendar) if center else None
    return policy.resolved(center_calendar).model_dump(mode="json")
