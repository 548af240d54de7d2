"""Plans are data: a support offering with its SLA policy, channels, services, contact
rule, quota, pricing and prerequisites."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.exceptions import FieldNotNullable
from contracts.models import REOPEN_WINDOW_DAYS, Plan
from contracts.plans.exceptions import PlanCodeTaken, PlanNotFound
from contracts.plans.schemas import PlanCreate, PlanRead, PlanUpdate, PricingRuleIn, QuotaRule


def to_read(plan: Plan) -> PlanRead:
    quota = None
    if plan.yearly_quota is not None:
        quota = QuotaRule(
            yearly=plan.yearly_quota,
            rollover=plan.quota_rollover,
            when_exhausted=plan.when_exhausted,
            reopen_window_days=plan.reopen_window_days,
        )
    pricing = None
    if plan.first_year_percent is not None and plan.later_years_percent is not None:
        pricing = PricingRuleIn(
            first_year_percent=plan.first_year_percent,
            later_years_percent=plan.later_years_percent,
            upgrade_percent=plan.upgrade_percent,
        )
    return PlanRead(
        id=plan.id,
        code=plan.code,
        name=plan.name,
        description=plan.description,
        sla_policy=plan.sla_policy,
        channels=plan.channels,
        services=plan.services,
        contact_rule=plan.contact_rule,
        case_visibility=plan.case_visibility,
        quota=quota,
        pricing=pricing,
        prerequisite_plan_id=plan.prerequisite_plan_id,
        active=plan.active,
    )


def _columns(quota: QuotaRule | None, pricing: PricingRuleIn | None) -> dict[str, Any]:
    return {
        "yearly_quota": quota.yearly if quota else None,
        "quota_rollover": quota.rollover if quota else False,
        "when_exhausted": (quota.when_exhausted if quota else "refuse"),
        "reopen_window_days": quota.reopen_window_days if quota else REOPEN_WINDOW_DAYS,
        "first_year_percent": pricing.first_year_percent if pricing else None,
        "later_years_percent": pricing.later_years_percent if pricing else None,
        "upgrade_percent": pricing.upgrade_percent if pricing else None,
    }


async def list_plans(session: AsyncSession, *, include_inactive: bool = False) -> Sequence[Plan]:
    query = select(Plan).order_by(Plan.name)
    if not include_inactive:
        query = query.where(Plan.active.is_(True))
    return (await session.scalars(query)).all()


async def get_plan(session: AsyncSession, plan_id: uuid.UUID) -> Plan:
    plan = await session.get(Plan, plan_id)
    if plan is None:
        raise PlanNotFound()
    return plan


async def create_plan(session: AsyncSession, data: PlanCreate) -> Plan:
    if await session.scalar(select(Plan.id).where(Plan.code == data.code)):
        raise PlanCodeTaken()
    if data.prerequisite_plan_id is not None:
        await get_plan(session, data.prerequisite_plan_id)
    plan = Plan(
        id=uuid.uuid4(),
        code=data.code,
        name=data.name,
        description=data.description,
        sla_policy=data.sla_policy.model_dump(mode="json"),
        channels=[c.value for c in data.channels],
        services=[s.value for s in data.services],
        contact_rule=data.contact_rule.value,
        case_visibility=data.case_visibility.value,
        prerequisite_plan_id=data.prerequisite_plan_id,
        active=True,
        **_columns(data.quota, data.pricing),
    )
    session.add(plan)
    await session.flush()
    # Read back what was stored: percentages come out as the column keeps them (12.00).
    await session.refresh(plan)
    return plan


async def update_plan(session: AsyncSession, plan_id: uuid.UUID, data: PlanUpdate) -> Plan:
    plan = await get_plan(session, plan_id)
    changes = data.model_dump(exclude_unset=True)
    if "sla_policy" in changes:
        if data.sla_policy is None:
            raise FieldNotNullable("sla_policy")
        plan.sla_policy = data.sla_policy.model_dump(mode="json")
    if "quota" in changes or "pricing" in changes:
        current = to_read(plan)
        quota = data.quota if "quota" in changes else current.quota
        pricing = data.pricing if "pricing" in changes else current.pricing
        for name, value in _columns(quota, pricing).items():
            setattr(plan, name, value)
    for name in ("name", "description", "contact_rule", "case_visibility", "active"):
        if name in changes:
            if changes[name] is None and name != "description":
                raise FieldNotNullable(name)
            setattr(plan, name, changes[name])
    for name in ("channels", "services"):
        if name in changes:
            setattr(plan, name, [str(v) for v in changes[name] or []])
    await session.flush()
    await session.refresh(plan)
    return plan
