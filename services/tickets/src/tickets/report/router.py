"""``GET /v1/sla/report``: attainment per plan, customer and period."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from careplane_shared.auth import CurrentPrincipal
from careplane_shared.db import DbSession
from tickets.report import service
from tickets.report.schemas import SlaReport

router = APIRouter(prefix="/v1/sla", tags=["sla"])


@router.get("/report", response_model=SlaReport, summary="SLA attainment for a period.")
async def report(
    session: DbSession,
    principal: CurrentPrincipal,
    period_from: Annotated[datetime, Query(alias="from")],
    period_to: Annotated[datetime, Query(alias="to")],
    plan_id: uuid.UUID | None = None,
    customer_id: uuid.UUID | None = None,
) -> SlaReport:
    """Cases received in [from, to), their clocks as of now: per metric the share met
    within target (of those decided) and the average time taken against the average
    commitment, overall and per plan. Staff see any customer; a customer administrator
    its own customer (an API key bound to a customer too)."""
    return await service.sla_report(
        session,
        principal=principal,
        period_from=period_from,
        period_to=period_to,
        plan_id=plan_id,
        customer_id=customer_id,
    )
