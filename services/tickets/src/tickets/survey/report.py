"""Survey results per agent, plan, customer or period, joined with the SLA attainment of
the same cases: how satisfied customers were next to how the clocks did for them.

The surveys counted are those offered in [from, to); a group's scores average the answered
ones (an unanswered question counts for nothing), its attainment is computed from the
history of its cases, as the SLA report computes it (:mod:`tickets.report.attainment`)."""

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
from tickets.report.attainment import attainment
from tickets.report.exceptions import PeriodInvalid, PeriodOutOfOrder, ReportTooLarge
from tickets.sla.calendar import BusinessCalendar
from tickets.sla.model import SlaClock
from tickets.survey.models import QUESTIONS, Survey
from tickets.survey.schemas import (
    GroupBy,
    ScoreRow,
    SurveyGroupRow,
    SurveyReport,
    SurveySlaRow,
)
from tickets.ticket import clocks

MAX_SURVEYS = 50_000


def group_key(survey: Survey, group_by: GroupBy) -> tuple[str | None, str | None]:
    """(key, label) of the group a survey falls in. Pure."""
    if group_by == "agent":
        return (str(survey.agent_id) if survey.agent_id else None, None)
    if group_by == "plan":
        return (str(survey.plan_id) if survey.plan_id else None, survey.plan_code)
    if group_by == "customer":
        return (str(survey.customer_id) if survey.customer_id else None, None)
    month = survey.invited_at.astimezone(UTC).strftime("%Y-%m")
    return (month, month)


def scores(surveys: Sequence[Survey]) -> list[ScoreRow]:
    """Per question: how many answered it and their average score. Pure."""
    rows = []
    for name in QUESTIONS:
        given = [v for s in surveys if (v := getattr(s, name)) is not None]
        average = round(sum(given) / len(given), 2) if given else None
        rows.append(ScoreRow(question=name, answers=len(given), average=average))
    return rows


async def survey_report(
    session: AsyncSession,
    *,
    principal: Principal,
    group_by: GroupBy,
    period_from: datetime,
    period_to: datetime,
    customer_id: uuid.UUID | None,
) -> SurveyReport:
    """Staff see any customer; a customer administrator only its own, whatever it names."""
    if not access.may_read_reports(principal):
        raise access.RoleForbidden("Reports are for staff and customer administrators.")
    if access.tenant_of(principal) is not None:
        customer_id = access.tenant_of(principal)
    if period_from.tzinfo is None or period_to.tzinfo is None:
        raise PeriodInvalid()
    if period_to <= period_from:
        raise PeriodOutOfOrder()
    query = select(Survey, Ticket).join(Ticket, Ticket.id == Survey.ticket_id)
    query = query.where(Survey.invited_at >= period_from, Survey.invited_at < period_to)
    if customer_id is not None:
        query = query.where(Survey.customer_id == customer_id)
    rows = (await session.execute(query.limit(MAX_SURVEYS + 1))).all()
    if len(rows) > MAX_SURVEYS:
        raise ReportTooLarge(f"More than {MAX_SURVEYS} surveys in the period; narrow it down.")
    histories = await clocks.histories_of(session, [ticket.id for _, ticket in rows])
    now = datetime.now(UTC)
    groups: dict[tuple[str | None, str | None], list[tuple[Survey, Ticket]]] = defaultdict(list)
    for survey, ticket in rows:
        groups[group_key(survey, group_by)].append((survey, ticket))
    result = []
    for (key, label), members in sorted(groups.items(), key=lambda kv: kv[0][0] or ""):
        answered = [s for s, _ in members if s.answered_at is not None]
        measured: list[tuple[SlaClock, BusinessCalendar]] = []
        for _, ticket in members:
            policy = clocks.policy_of(ticket)
            if policy is None:
                continue
            calendar = BusinessCalendar.for_spec(policy.calendar)
            for clock in clocks.compute(ticket, histories[ticket.id], as_of=now):
                measured.append((clock, calendar))
        result.append(
            SurveyGroupRow(
                key=key,
                label=label,
                invited=len(members),
                answered=len(answered),
                response_rate=round(100 * len(answered) / len(members), 2),
                scores=scores(answered),
                sla=[
                    SurveySlaRow(
                        metric=m.metric,
                        total=m.total,
                        within_target=m.within_target,
                        breached=m.breached,
                        percent_within=m.percent_within,
                    )
                    for m in attainment(measured, now)
                ],
            )
        )
    return SurveyReport(
        period_from=period_from,
        period_to=period_to,
        group_by=group_by,
        customer_id=customer_id,
        invited=len(rows),
        answered=sum(g.answered for g in result),
        groups=result,
    )
