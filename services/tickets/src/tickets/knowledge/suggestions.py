"""Suggestions while a case is being written, and how each ended: the record behind the
deflection rate per article.

A customer's caller writing a case asks for suggestions with the subject and description
so far; each answer names its record (``suggestion_id``), and asking again with it adds
what is shown now to the same record, so one case being written is one record however
often the text changes. The record ends one of two ways: the caller says an article solved
it (``deflected``), or the case is opened with the record's id (``case_opened``: it was
opened all the same). The vendor's side gets suggestions too, unrecorded.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.auth import Principal
from tickets.knowledge import repository
from tickets.knowledge.exceptions import (
    ArticleNotSuggested,
    SuggestionClosed,
    SuggestionNotFound,
)
from tickets.knowledge.models import KnowledgeSuggestion
from tickets.knowledge.repository import ArticleFilter, Hit
from tickets.knowledge.rules import (
    Deflection,
    Language,
    Outcome,
    merged_shown,
    safe_highlight,
    suggestion_query,
)
from tickets.knowledge.schemas import (
    ArticleHit,
    DeflectionReport,
    DeflectionRow,
    SuggestionOutcome,
    SuggestionRead,
    SuggestionRequest,
)
from tickets.models import Ticket


def hit_view(hit: Hit) -> ArticleHit:
    article = hit.article
    return ArticleHit(
        id=article.id,
        slug=article.slug,
        language=article.language,
        product_id=article.product_id,
        visibility=article.visibility,
        status=article.status,
        title=hit.title,
        rank=None if hit.rank is None else round(hit.rank, 6),
        title_highlight=None
        if hit.title_highlight is None
        else safe_highlight(hit.title_highlight),
        highlight=None if hit.highlight is None else safe_highlight(hit.highlight),
        updated_at=article.updated_at,
    )


async def _own(
    session: AsyncSession, principal: Principal, suggestion_id: uuid.UUID
) -> KnowledgeSuggestion:
    """The caller's own record, locked (``SUGGESTION_NOT_FOUND`` for anyone else's, as for
    one that does not exist)."""
    found = await session.scalar(
        select(KnowledgeSuggestion).where(KnowledgeSuggestion.id == suggestion_id).with_for_update()
    )
    if found is None or not found.belongs_to(principal):
        raise SuggestionNotFound()
    return found


async def suggest(
    session: AsyncSession, principal: Principal, data: SuggestionRequest
) -> SuggestionRead:
    """The best published articles for the case being written, with highlights."""
    words = suggestion_query(data.subject, data.description)
    hits: list[Hit] = []
    if words is not None:
        hits, _ = await repository.search(
            session,
            where=repository.suggestible_clause(principal),
            f=ArticleFilter(search=words, language=data.language, product_id=data.product_id),
            limit=data.limit,
            offset=0,
        )
    if not principal.is_customer:
        return SuggestionRead(suggestion_id=None, items=[hit_view(h) for h in hits])
    shown = [h.article.id for h in hits]
    if data.suggestion_id is not None:
        record = await _own(session, principal, data.suggestion_id)
        if record.outcome == Outcome.CASE_OPENED:
            raise SuggestionClosed()
        record.shown_article_ids = merged_shown(record.shown_article_ids, shown)
        record.subject = data.subject
        record.updated_at = datetime.now(UTC)
    else:
        assert principal.customer_id is not None  # a customer-side caller names its customer
        record = KnowledgeSuggestion(
            id=uuid.uuid4(),
            customer_id=principal.customer_id,
            requested_by=principal.subject,
            subject=data.subject,
            language=data.language.value if data.language else None,
            shown_article_ids=shown,
            outcome=Outcome.PENDING.value,
        )
        session.add(record)
    await session.flush()
    return SuggestionRead(suggestion_id=record.id, items=[hit_view(h) for h in hits])


def outcome_view(record: KnowledgeSuggestion) -> SuggestionOutcome:
    return SuggestionOutcome(
        suggestion_id=record.id,
        outcome=Outcome(record.outcome),
        helpful_article_id=record.helpful_article_id,
        ticket_id=record.ticket_id,
        shown_article_ids=list(record.shown_article_ids),
    )


async def mark_helpful(
    session: AsyncSession, principal: Principal, suggestion_id: uuid.UUID, article_id: uuid.UUID
) -> SuggestionOutcome:
    """ "This solved it": the case need not be opened (deflected by that article)."""
    record = await _own(session, principal, suggestion_id)
    if record.outcome == Outcome.CASE_OPENED:
        raise SuggestionClosed()
    if article_id not in record.shown_article_ids:
        raise ArticleNotSuggested(details={"article_id": str(article_id)})
    record.outcome = Outcome.DEFLECTED.value
    record.helpful_article_id = article_id
    record.updated_at = datetime.now(UTC)
    await session.flush()
    return outcome_view(record)


async def outcome(
    session: AsyncSession, principal: Principal, suggestion_id: uuid.UUID
) -> SuggestionOutcome:
    return outcome_view(await _own(session, principal, suggestion_id))


async def case_opened(
    session: AsyncSession, principal: Principal, suggestion_id: uuid.UUID, ticket: Ticket
) -> None:
    """The case was opened all the same after these suggestions. Called by the open route in
    the case's own transaction: a suggestion that is not the caller's (or was used for
    another case) refuses the open, and nothing of it is written."""
    found = await session.scalar(
        select(KnowledgeSuggestion).where(KnowledgeSuggestion.id == suggestion_id).with_for_update()
    )
    if found is None:
        raise SuggestionNotFound()
    mine = found.belongs_to(principal) if principal.is_customer else True
    if not mine or found.customer_id != ticket.customer_id:
        raise SuggestionNotFound()
    if found.outcome == Outcome.CASE_OPENED:
        raise SuggestionClosed()
    found.outcome = Outcome.CASE_OPENED.value
    found.ticket_id = ticket.id
    found.updated_at = datetime.now(UTC)
    await session.flush()


async def report(
    session: AsyncSession,
    *,
    period_from: datetime | None,
    period_to: datetime | None,
    language: Language | None,
) -> DeflectionReport:
    rows, outcomes = await repository.deflection(
        session, period_from=period_from, period_to=period_to, language=language
    )
    articles = []
    for article_id, slug, lang, title, shown, helpful, opened in rows:
        figures = Deflection(shown=shown, helpful=helpful, cases_opened=opened)
        articles.append(
            DeflectionRow(
                article_id=article_id,
                slug=slug,
                language=lang,
                title=title,
                shown=shown,
                helpful=helpful,
                cases_opened=opened,
                deflection_rate=figures.deflection_rate,
                helpful_rate=figures.helpful_rate,
            )
        )
    return DeflectionReport(
        period_from=period_from,
        period_to=period_to,
        suggestions=sum(outcomes.values()),
        cases_opened=outcomes.get(Outcome.CASE_OPENED.value, 0),
        deflected=outcomes.get(Outcome.DEFLECTED.value, 0),
        articles=articles,
    )
