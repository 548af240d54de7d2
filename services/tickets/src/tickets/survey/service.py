"""Surveys: offered when a case closes (in the closing's transaction), answered once through
the signed link or the API by the contact who was asked, switched off by the contact.

Where the opt-out lives: here, in tickets (``survey_opt_outs``), because tickets is what
decides to ask; a contact switches it off through the API or the link of any invitation.
Notify's ``surveys`` mail category stays a second guard: a contact who turned the survey
mail off there is sent no invitation.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.auth import Principal
from careplane_shared.events import Outbox
from tickets import access
from tickets.models import Ticket
from tickets.survey import tokens
from tickets.survey.exceptions import (
    SurveyAlreadyAnswered,
    SurveyExpired,
    SurveyNotFound,
    SurveyNotYours,
    SurveyOptOutNotForRole,
)
from tickets.survey.models import QUESTIONS, Survey, SurveyOptOut
from tickets.survey.sampling import SurveyPolicy, should_invite
from tickets.survey.schemas import (
    QUESTION_TEXT,
    OptOutRead,
    QuestionRead,
    SurveyAnswers,
    SurveyRead,
)
from tickets.ticket import repository
from tickets.ticket.events import event_data

SURVEY_INVITED = "survey.invited"
SURVEY_ANSWERED = "survey.answered"


def survey_url(policy: SurveyPolicy, token: str) -> str:
    return f"{policy.link_base.rstrip('/')}/v1/surveys/{token}"


async def offer(
    session: AsyncSession, outbox: Outbox, ticket: Ticket, policy: SurveyPolicy, now: datetime
) -> Survey | None:
    """At closing: asks the requester when the sampling rule says so, and emits
    ``survey.invited`` with the signed link. Only an entitled case with a customer is
    surveyed, and a case at most once (closed again after a reopen, it is not asked again)."""
    if ticket.entitlement_status != "entitled" or ticket.customer_id is None:
        return None
    if await session.scalar(select(Survey.id).where(Survey.ticket_id == ticket.id)):
        return None
    opted_out = await session.get(SurveyOptOut, ticket.contact_id) is not None
    last = await session.scalar(
        select(func.max(Survey.invited_at)).where(Survey.contact_id == ticket.contact_id)
    )
    draw = policy.draw()
    if not should_invite(
        policy.rule, opted_out=opted_out, last_invited_at=last, now=now, draw=draw
    ):
        return None
    survey = Survey(
        id=uuid.uuid4(),
        ticket_id=ticket.id,
        customer_id=ticket.customer_id,
        contact_id=ticket.contact_id,
        plan_id=ticket.plan_id,
        plan_code=ticket.plan_code,
        agent_id=ticket.assignee_id,
        invited_at=now,
        expires_at=now + policy.link_lifetime,
    )
    session.add(survey)
    await session.flush()
    token = tokens.sign(policy.key, survey.id, survey.expires_at)
    await outbox.emit(
        session,
        SURVEY_INVITED,
        event_data(
            ticket,
            survey_id=str(survey.id),
            survey_url=survey_url(policy, token),
            expires_at=survey.expires_at.isoformat(),
        ),
        subject=ticket.number,
    )
    return survey


def view(survey: Survey, ticket: Ticket) -> SurveyRead:
    return SurveyRead(
        id=survey.id,
        ticket_id=survey.ticket_id,
        number=ticket.number,
        subject=ticket.subject,
        contact_id=survey.contact_id,
        invited_at=survey.invited_at,
        expires_at=survey.expires_at,
        answered_at=survey.answered_at,
        answered_via=survey.answered_via,
        questions=[
            QuestionRead(name=name, text=QUESTION_TEXT[name], answer=getattr(survey, name))
            for name in QUESTIONS
        ],
        comment=survey.comment,
    )


async def _with_ticket(
    session: AsyncSession, survey_id: uuid.UUID, *, lock: bool = False
) -> tuple[Survey, Ticket]:
    query = select(Survey, Ticket).join(Ticket, Ticket.id == Survey.ticket_id)
    query = query.where(Survey.id == survey_id)
    if lock:
        query = query.with_for_update(of=Survey)
    row = (await session.execute(query)).first()
    if row is None:
        raise SurveyNotFound()
    return row[0], row[1]


async def by_token(
    session: AsyncSession, key: bytes, token: str, *, lock: bool = False
) -> tuple[Survey, Ticket]:
    """The survey a link names; a link that does not verify is not found, an expired one
    is gone (410 ``SURVEY_EXPIRED``) unless it was answered (then it reads as answered)."""
    try:
        survey_id, valid = tokens.verify(key, token)
    except ValueError:
        raise SurveyNotFound() from None
    survey, ticket = await _with_ticket(session, survey_id, lock=lock)
    if not valid and survey.answered_at is None:
        raise SurveyExpired()
    return survey, ticket


async def _record(
    session: AsyncSession,
    outbox: Outbox,
    survey: Survey,
    ticket: Ticket,
    answers: SurveyAnswers,
    via: str,
) -> SurveyRead:
    if survey.answered_at is not None:
        raise SurveyAlreadyAnswered()
    now = datetime.now(UTC)
    if survey.expires_at <= now:
        raise SurveyExpired()
    for name in QUESTIONS:
        setattr(survey, name, getattr(answers, name))
    survey.comment = answers.comment
    survey.answered_at = now
    survey.answered_via = via
    await session.flush()
    scores = {name: getattr(survey, name) for name in QUESTIONS}
    await outbox.emit(
        session,
        SURVEY_ANSWERED,
        event_data(ticket, survey_id=str(survey.id), agent_id=_str(survey.agent_id), **scores),
        subject=ticket.number,
    )
    return view(survey, ticket)


def _str(value: uuid.UUID | None) -> str | None:
    return str(value) if value else None


async def answer_by_token(
    session: AsyncSession, outbox: Outbox, key: bytes, token: str, answers: SurveyAnswers
) -> SurveyRead:
    """The link is the credential: no sign-in. Answered once (409 on the second)."""
    survey, ticket = await by_token(session, key, token, lock=True)
    return await _record(session, outbox, survey, ticket, answers, "link")


async def for_ticket(
    session: AsyncSession, principal: Principal, ticket_id: uuid.UUID, *, lock: bool = False
) -> tuple[Survey, Ticket]:
    """A case's survey, for whoever may see the case (another tenant's case: not found)."""
    ticket = await repository.get_ticket(session, principal=principal, ticket_id=ticket_id)
    survey = await session.scalar(
        select(Survey).where(Survey.ticket_id == ticket.id).with_for_update()
        if lock
        else select(Survey).where(Survey.ticket_id == ticket.id)
    )
    if survey is None:
        raise SurveyNotFound()
    return survey, ticket


async def answer_by_api(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    ticket_id: uuid.UUID,
    answers: SurveyAnswers,
) -> SurveyRead:
    """The contact who was asked, signed in; nobody answers for it (staff included)."""
    survey, ticket = await for_ticket(session, principal, ticket_id, lock=True)
    if not principal.is_customer or principal.subject != str(survey.contact_id):
        raise SurveyNotYours()
    return await _record(session, outbox, survey, ticket, answers, "api")


def _opt_out_view(contact_id: uuid.UUID, row: SurveyOptOut | None) -> OptOutRead:
    return OptOutRead(
        contact_id=contact_id,
        opted_out=row is not None,
        opted_out_at=row.opted_out_at if row else None,
    )


async def set_opt_out(
    session: AsyncSession,
    *,
    contact_id: uuid.UUID,
    customer_id: uuid.UUID | None,
    by: str,
) -> OptOutRead:
    await session.execute(
        insert(SurveyOptOut)
        .values(
            contact_id=contact_id,
            customer_id=customer_id,
            opted_out_at=datetime.now(UTC),
            opted_out_by=by,
        )
        .on_conflict_do_nothing(index_elements=["contact_id"])
    )
    return _opt_out_view(contact_id, await session.get(SurveyOptOut, contact_id))


def _own_contact(principal: Principal) -> uuid.UUID:
    if not principal.is_customer or access.tenant_of(principal) is None:
        raise SurveyOptOutNotForRole()
    try:
        return uuid.UUID(principal.subject)
    except ValueError:
        raise SurveyOptOutNotForRole() from None


async def opt_out_of(session: AsyncSession, principal: Principal) -> OptOutRead:
    contact_id = _own_contact(principal)
    return _opt_out_view(contact_id, await session.get(SurveyOptOut, contact_id))


async def switch(session: AsyncSession, principal: Principal, *, off: bool) -> OptOutRead:
    """A contact switches its own surveys off (never asked again) or on again."""
    contact_id = _own_contact(principal)
    if off:
        return await set_opt_out(
            session,
            contact_id=contact_id,
            customer_id=access.tenant_of(principal),
            by=principal.email or principal.subject,
        )
    row = await session.get(SurveyOptOut, contact_id)
    if row is not None:
        await session.delete(row)
        await session.flush()
    return _opt_out_view(contact_id, None)


async def opt_out_by_token(session: AsyncSession, key: bytes, token: str) -> OptOutRead:
    """ "Never ask me again" from an invitation's link (valid or expired: switching off
    needs no fresh link)."""
    try:
        survey_id, _ = tokens.verify(key, token)
    except ValueError:
        raise SurveyNotFound() from None
    survey, _ticket = await _with_ticket(session, survey_id)
    return await set_opt_out(
        session,
        contact_id=survey.contact_id,
        customer_id=survey.customer_id,
        by=f"survey-link:{survey.id}",
    )
