"""``GET /v1/sla/report``: attainment per plan, customer and period."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import select

from careplane_shared.auth import CurrentPrincipal
from careplane_shared.db import DbSession
from careplane_shared.errors import Forbidden, ValidationFailed
from tickets import access
from tickets.models import Ticket, TicketEvent
from tickets.report.attainment import MetricAttainment, attainment
from tickets.sla import BusinessCalendar, SlaClock
from tickets.ticket import clocks

router = APIRouter(prefix="/v1/sla", tags=["sla"])

MAX_TICKETS = 50_000


class MetricRow(BaseModel):
    metric: str
    total: int
    within_target: int
    breached: int
    running: int
    percent_within: float | None
    average_minutes: float | None
    average_target_minutes: float | None


class PlanRow(BaseModel):
    plan_id: uuid.UUID | None
    plan_code: str | None
    tickets: int
    metrics: list[MetricRow]


class SlaReport(BaseModel):
    period_from: datetime
    period_to: datetime
    plan_id: uuid.UUID | None
    customer_id: uuid.UUID | None
    tickets: int
    metrics: list[MetricRow]
    plans: list[PlanRow]


def _rows(rows: list[MetricAttainment]) -> list[MetricRow]:
    return [
        MetricRow(
            metric=r.metric,
            total=r.total,
            within_target=r.within_target,
            breached=r.breached,
            running=r.running,
            percent_within=r.percent_within,
            average_minutes=r.average_minutes,
            average_target_minutes=r.average_target_minutes,
        )
        for r in rows
    ]


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
    if not access.may_read_reports(principal):
        raise Forbidden("Reports are for staff and customer administrators.", code="ROLE_FORBIDDEN")
    if access.tenant_of(principal) is not None:
        customer_id = access.tenant_of(principal)
    if period_from.tzinfo is None or period_to.tzinfo is None:
        raise ValidationFailed("from and to need a time zone.", code="PERIOD_INVALID")
    if period_to <= period_from:
        raise ValidationFailed("`to` must be after `from`.", code="PERIOD_OUT_OF_ORDER")
    query = select(Ticket).where(
        Ticket.received_at >= period_from,
        Ticket.received_at < period_to,
        Ticket.entitlement_status == "entitled",
    )
    if plan_id is not None:
        query = query.where(Ticket.plan_id == plan_id)
    if customer_id is not None:
        query = query.where(Ticket.customer_id == customer_id)
    tickets = (await session.scalars(query.limit(MAX_TICKETS + 1))).all()
    if len(tickets) > MAX_TICKETS:
        raise ValidationFailed(
            f"More than {MAX_TICKETS} cases in the period; narrow it down.", code="REPORT_TOO_LARGE"
        )
    histories: dict[uuid.UUID, list[TicketEvent]] = defaultdict(list)
    if tickets:
        events = await session.scalars(
            select(TicketEvent)
            .where(TicketEvent.ticket_id.in_([t.id for t in tickets]))
            .order_by(TicketEvent.seq)
        )
        for event in events:
            histories[event.ticket_id].append(event)
    now = datetime.now(UTC)
    overall: list[tuple[SlaClock, BusinessCalendar]] = []
    by_plan: dict[tuple[uuid.UUID | None, str | None], list[tuple[SlaClock, BusinessCalendar]]] = (
        defaultdict(list)
    )
    counts: dict[tuple[uuid.UUID | None, str | None], int] = defaultdict(int)
    for ticket in tickets:
        policy = clocks.policy_of(ticket)
        if policy is None:
            continue
        calendar = BusinessCalendar.for_spec(policy.calendar)
        key = (ticket.plan_id, ticket.plan_code)
        counts[key] += 1
        for clock in clocks.compute(ticket, histories[ticket.id], now):
            overall.append((clock, calendar))
            by_plan[key].append((clock, calendar))
    return SlaReport(
        period_from=period_from,
        period_to=period_to,
        plan_id=plan_id,
        customer_id=customer_id,
        tickets=sum(counts.values()),
        metrics=_rows(attainment(overall, now)),
        plans=[
            PlanRow(
                plan_id=key[0],
                plan_code=key[1],
                tickets=counts[key],
                metrics=_rows(attainment(items, now)),
            )
            for key, items in sorted(by_plan.items(), key=lambda kv: kv[0][1] or "")
        ],
    )
