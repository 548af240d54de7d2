"""SLA attainment per plan, customer and period: the cases received in the period, their
clocks as of now, summed up per metric overall and per plan."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.auth import Principal
from tickets import access
from tickets.models import Ticket
from tickets.report.attainment import MetricAttainment, attainment
from tickets.report.exceptions import PeriodInvalid, PeriodOutOfOrder, ReportTooLarge
from tickets.report.schemas import MetricRow, PlanRow, SlaReport
from tickets.sla.calendar import BusinessCalendar
from tickets.sla.model import SlaClock
from tickets.ticket import clocks

MAX_TICKETS = 50_000

_PlanKey = tuple[uuid.UUID | None, str | None]


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


async def _entitled_in_period(
    session: AsyncSession,
    *,
    period_from: datetime,
    period_to: datetime,
    plan_id: uuid.UUID | None,
    customer_id: uuid.UUID | None,
) -> Sequence[Ticket]:
    """The entitled cases received in [from, to); ``REPORT_TOO_LARGE`` past MAX_TICKETS."""
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
        raise ReportTooLarge(f"More than {MAX_TICKETS} cases in the period; narrow it down.")
    return tickets


async def sla_report(
    session: AsyncSession,
    *,
    principal: Principal,
    period_from: datetime,
    period_to: datetime,
    plan_id: uuid.UUID | None,
    customer_id: uuid.UUID | None,
) -> SlaReport:
    """Staff see any customer; a customer administrator (or a key bound to a customer)
    only its own, whatever ``customer_id`` it names."""
    if not access.may_read_reports(principal):
        raise access.RoleForbidden("Reports are for staff and customer administrators.")
    if access.tenant_of(principal) is not None:
        customer_id = access.tenant_of(principal)
    if period_from.tzinfo is None or period_to.tzinfo is None:
        raise PeriodInvalid()
    if period_to <= period_from:
        raise PeriodOutOfOrder()
    tickets = await _entitled_in_period(
        session,
        period_from=period_from,
        period_to=period_to,
        plan_id=plan_id,
        customer_id=customer_id,
    )
    histories = await clocks.histories_of(session, [t.id for t in tickets])
    now = datetime.now(UTC)
    overall: list[tuple[SlaClock, BusinessCalendar]] = []
    by_plan: dict[_PlanKey, list[tuple[SlaClock, BusinessCalendar]]] = defaultdict(list)
    counts: dict[_PlanKey, int] = defaultdict(int)
    for ticket in tickets:
        policy = clocks.policy_of(ticket)
        if policy is None:
            continue
        calendar = BusinessCalendar.for_spec(policy.calendar)
        key = (ticket.plan_id, ticket.plan_code)
        counts[key] += 1
        for clock in clocks.compute(ticket, histories[ticket.id], as_of=now):
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
