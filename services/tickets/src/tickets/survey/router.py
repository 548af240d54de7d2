"""The survey routes: the signed link's (no sign-in: the link is the credential), the
case's survey through the API, a contact's switch, and the results report."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, status

from careplane_shared.auth import CurrentPrincipal
from careplane_shared.db import DbSession
from tickets.deps import OutboxDep, ReadSession
from tickets.survey import report, service
from tickets.survey.sampling import SurveyPolicy
from tickets.survey.schemas import GroupBy, OptOutRead, SurveyAnswers, SurveyRead, SurveyReport

router = APIRouter(prefix="/v1", tags=["surveys"])

Token = Annotated[
    str,
    Path(min_length=20, max_length=200, description="The token of the survey link."),
]


async def _survey_policy(request: Request) -> SurveyPolicy:
    policy: SurveyPolicy = request.app.state.survey_policy
    return policy


SurveyPolicyDep = Annotated[SurveyPolicy, Depends(_survey_policy)]


@router.get("/surveys/opt-out", response_model=OptOutRead, summary="Your survey switch.")
async def my_opt_out(session: ReadSession, principal: CurrentPrincipal) -> OptOutRead:
    """Whether the signed-in contact switched surveys off."""
    return await service.opt_out_of(session, principal)


@router.put("/surveys/opt-out", response_model=OptOutRead, summary="Switch surveys off.")
async def switch_off(session: DbSession, principal: CurrentPrincipal) -> OptOutRead:
    """The signed-in contact is never asked for a survey again (until it switches them on)."""
    return await service.switch(session, principal, off=True)


@router.delete("/surveys/opt-out", response_model=OptOutRead, summary="Switch surveys on.")
async def switch_on(session: DbSession, principal: CurrentPrincipal) -> OptOutRead:
    return await service.switch(session, principal, off=False)


@router.get(
    "/surveys/{token}", response_model=SurveyRead, summary="A survey by its link (no sign-in)."
)
async def read_by_link(session: ReadSession, policy: SurveyPolicyDep, token: Token) -> SurveyRead:
    """The five questions and, once answered, the answers. A link that does not verify is
    404 `SURVEY_NOT_FOUND`; an expired, unanswered one 410 `SURVEY_EXPIRED`."""
    survey, ticket = await service.by_token(session, policy.key, token)
    return service.view(survey, ticket)


@router.post(
    "/surveys/{token}/answers",
    response_model=SurveyRead,
    status_code=status.HTTP_201_CREATED,
    summary="Answer a survey through its link (no sign-in).",
)
async def answer_by_link(
    session: DbSession,
    outbox: OutboxDep,
    policy: SurveyPolicyDep,
    token: Token,
    body: SurveyAnswers,
) -> SurveyRead:
    """Every question is optional. A survey is answered once: again is 409
    `SURVEY_ALREADY_ANSWERED`."""
    return await service.answer_by_token(session, outbox, policy.key, token, body)


@router.post(
    "/surveys/{token}/opt-out",
    response_model=OptOutRead,
    summary="Never be asked again, from an invitation's link (no sign-in).",
)
async def opt_out_by_link(session: DbSession, policy: SurveyPolicyDep, token: Token) -> OptOutRead:
    return await service.opt_out_by_token(session, policy.key, token)


@router.get("/tickets/{ticket_id}/survey", response_model=SurveyRead, summary="A case's survey.")
async def read_for_ticket(
    session: ReadSession, principal: CurrentPrincipal, ticket_id: uuid.UUID
) -> SurveyRead:
    """For whoever may see the case; 404 `SURVEY_NOT_FOUND` when it was not sampled."""
    survey, ticket = await service.for_ticket(session, principal, ticket_id)
    return service.view(survey, ticket)


@router.post(
    "/tickets/{ticket_id}/survey/answers",
    response_model=SurveyRead,
    status_code=status.HTTP_201_CREATED,
    summary="Answer a case's survey (the contact who was asked).",
)
async def answer_for_ticket(
    session: DbSession,
    outbox: OutboxDep,
    principal: CurrentPrincipal,
    ticket_id: uuid.UUID,
    body: SurveyAnswers,
) -> SurveyRead:
    """403 `SURVEY_NOT_YOURS` for anyone but the contact asked; 409
    `SURVEY_ALREADY_ANSWERED` the second time."""
    return await service.answer_by_api(session, outbox, principal, ticket_id, body)


@router.get(
    "/reports/surveys",
    response_model=SurveyReport,
    summary="Survey results with the SLA attainment of the same cases.",
)
async def survey_report(
    session: ReadSession,
    principal: CurrentPrincipal,
    group_by: GroupBy,
    period_from: Annotated[datetime, Query(alias="from")],
    period_to: Annotated[datetime, Query(alias="to")],
    customer_id: uuid.UUID | None = None,
) -> SurveyReport:
    """Surveys offered in [from, to), grouped by agent, plan, customer or month: asked,
    answered, the average of each question, and the SLA attainment of their cases. Staff
    see any customer; a customer administrator its own."""
    return await report.survey_report(
        session,
        principal=principal,
        group_by=group_by,
        period_from=period_from,
        period_to=period_to,
        customer_id=customer_id,
    )
