"""``/v1/knowledge``: articles (search, read, write, publish, archive), suggestions while a
case is being written and their outcome, the deflection report; and
``/v1/tickets/{ticket_id}/knowledge-links``, the articles linked to a case."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from careplane_shared.auth import CurrentPrincipal, StaffPrincipal
from careplane_shared.db import DbSession
from careplane_shared.pagination import Page, PageParamsDep
from tickets.deps import ReadSession
from tickets.knowledge import repository, service, suggestions
from tickets.knowledge.repository import ArticleFilter
from tickets.knowledge.rules import ArticleStatus, Language, Visibility
from tickets.knowledge.schemas import (
    ArticleCreate,
    ArticleHit,
    ArticleRead,
    ArticleUpdate,
    DeflectionReport,
    HelpfulMark,
    LinkCreate,
    LinkRead,
    SuggestionOutcome,
    SuggestionRead,
    SuggestionRequest,
    VersionRead,
)
from tickets.report.exceptions import PeriodInvalid, PeriodOutOfOrder

router = APIRouter(prefix="/v1", tags=["knowledge"])


async def _filter(
    search: Annotated[
        str | None,
        Query(
            max_length=300,
            description=(
                'Web-search syntax: words (all required), "a phrase", `or`, -excluded; '
                "stemmed by each article's language."
            ),
        ),
    ] = None,
    language: Language | None = None,
    product_id: Annotated[
        uuid.UUID | None, Query(description="This product's articles and those of none.")
    ] = None,
    status: Annotated[ArticleStatus | None, Query(description="Staff: drafts, archived.")] = None,
    visibility: Visibility | None = None,
) -> ArticleFilter:
    return ArticleFilter(
        search=search.strip() or None if search else None,
        language=language,
        product_id=product_id,
        status=status,
        visibility=visibility,
    )


@router.get(
    "/knowledge/articles", response_model=Page[ArticleHit], summary="Search or list articles."
)
async def list_articles(
    session: ReadSession,
    principal: CurrentPrincipal,
    page: PageParamsDep,
    f: Annotated[ArticleFilter, Depends(_filter)],
) -> Page[ArticleHit]:
    """With `search`: best match first (`rank`), with `title_highlight` and `highlight`
    (HTML, matches in `<mark>`); without: most recently changed first. A customer's callers
    find published public articles; staff every article, searched by its published text
    (a never published draft by its draft)."""
    hits, total = await repository.search(
        session,
        where=repository.readable_clause(principal),
        f=f,
        limit=page.limit,
        offset=page.offset,
    )
    return page.of([suggestions.hit_view(h) for h in hits], total)


@router.post(
    "/knowledge/articles",
    response_model=ArticleRead,
    status_code=status.HTTP_201_CREATED,
    summary="Write a new article (staff): a draft.",
)
async def create_article(
    session: DbSession, principal: CurrentPrincipal, body: ArticleCreate
) -> ArticleRead:
    article = await service.create_article(session, principal, body)
    return await service.article_view(session, principal, article)


@router.get("/knowledge/articles/{article_id}", response_model=ArticleRead, summary="One article.")
async def get_article(
    session: ReadSession, principal: CurrentPrincipal, article_id: uuid.UUID
) -> ArticleRead:
    """Customers: the published text of a public article (`ARTICLE_NOT_FOUND` for any other,
    as for one that does not exist). Staff: the published version and the draft."""
    article = await service.readable_article(session, principal, article_id)
    return await service.article_view(session, principal, article)


@router.patch(
    "/knowledge/articles/{article_id}",
    response_model=ArticleRead,
    summary="Edit an article (staff): its draft, its slug, product, visibility.",
)
async def update_article(
    session: DbSession, principal: CurrentPrincipal, article_id: uuid.UUID, body: ArticleUpdate
) -> ArticleRead:
    """Title and body change the draft (made from the published text when there is none);
    customers keep reading the published version until the draft is published."""
    article = await service.update_article(session, principal, article_id, body)
    return await service.article_view(session, principal, article)


@router.post(
    "/knowledge/articles/{article_id}/publish",
    response_model=ArticleRead,
    summary="Publish the draft (staff).",
)
async def publish_article(
    session: DbSession, principal: CurrentPrincipal, article_id: uuid.UUID
) -> ArticleRead:
    """The draft becomes the published version; the one it replaces is kept as history
    (`superseded`). `ARTICLE_NO_DRAFT` when there is nothing to publish."""
    article = await service.publish(session, principal, article_id)
    return await service.article_view(session, principal, article)


@router.post(
    "/knowledge/articles/{article_id}/archive",
    response_model=ArticleRead,
    summary="Archive an article (staff).",
)
async def archive_article(
    session: DbSession, principal: CurrentPrincipal, article_id: uuid.UUID
) -> ArticleRead:
    """No longer served to customers nor suggested; publishing a new draft brings it back."""
    article = await service.archive(session, principal, article_id)
    return await service.article_view(session, principal, article)


@router.get(
    "/knowledge/articles/{article_id}/versions",
    response_model=list[VersionRead],
    summary="An article's versions, newest first.",
)
async def article_versions(
    session: ReadSession, principal: CurrentPrincipal, article_id: uuid.UUID
) -> list[VersionRead]:
    return await service.versions(session, principal, article_id)


@router.post(
    "/knowledge/suggestions",
    response_model=SuggestionRead,
    summary="Articles for a case being written.",
)
async def suggest(
    session: DbSession, principal: CurrentPrincipal, body: SuggestionRequest
) -> SuggestionRead:
    """The best published articles for the subject and description so far (any of their
    words; best match first, with highlights). For a customer's caller it records what was
    shown (`suggestion_id`): pass that id again while the same case is written, then when
    opening the case (`suggestion_id` of `POST /v1/tickets`) or to mark an article helpful."""
    return await suggestions.suggest(session, principal, body)


@router.get(
    "/knowledge/suggestions/{suggestion_id}",
    response_model=SuggestionOutcome,
    summary="What a suggestion showed and how it ended.",
)
async def suggestion_outcome(
    session: DbSession, principal: CurrentPrincipal, suggestion_id: uuid.UUID
) -> SuggestionOutcome:
    return await suggestions.outcome(session, principal, suggestion_id)


@router.post(
    "/knowledge/suggestions/{suggestion_id}/helpful",
    response_model=SuggestionOutcome,
    summary='"This solved it": an article of the suggestion helped.',
)
async def mark_helpful(
    session: DbSession, principal: CurrentPrincipal, suggestion_id: uuid.UUID, body: HelpfulMark
) -> SuggestionOutcome:
    """The caller's own suggestion (`SUGGESTION_NOT_FOUND` otherwise); `SUGGESTION_CLOSED`
    once a case was opened from it; `ARTICLE_NOT_SUGGESTED` for an article it did not show."""
    return await suggestions.mark_helpful(session, principal, suggestion_id, body.article_id)


@router.get(
    "/knowledge/report",
    response_model=DeflectionReport,
    summary="Deflection rate per article (staff).",
)
async def deflection_report(
    session: ReadSession,
    principal: StaffPrincipal,
    period_from: Annotated[datetime | None, Query(alias="from")] = None,
    period_to: Annotated[datetime | None, Query(alias="to")] = None,
    language: Language | None = None,
) -> DeflectionReport:
    """Suggestions made in [from, to): per article how often it was shown, marked helpful,
    and followed by a case all the same; its deflection rate is the share of the
    suggestions showing it after which no case was opened."""
    for moment in (period_from, period_to):
        if moment is not None and moment.tzinfo is None:
            raise PeriodInvalid()
    if period_from and period_to and period_to <= period_from:
        raise PeriodOutOfOrder()
    return await suggestions.report(
        session, period_from=period_from, period_to=period_to, language=language
    )


@router.get(
    "/tickets/{ticket_id}/knowledge-links",
    response_model=list[LinkRead],
    summary="The articles linked to a case.",
)
async def case_links(
    session: ReadSession, principal: CurrentPrincipal, ticket_id: uuid.UUID
) -> list[LinkRead]:
    """A customer's callers see the links to published public articles only."""
    return await service.links(session, principal, ticket_id)


@router.post(
    "/tickets/{ticket_id}/knowledge-links",
    response_model=LinkRead,
    status_code=status.HTTP_201_CREATED,
    summary="Link an article to a case (staff).",
)
async def link_article(
    session: DbSession, principal: CurrentPrincipal, ticket_id: uuid.UUID, body: LinkCreate
) -> LinkRead:
    """Linking again keeps the one link."""
    return await service.link(session, principal, ticket_id, body.article_id)


@router.delete(
    "/tickets/{ticket_id}/knowledge-links/{article_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Unlink an article from a case (staff).",
)
async def unlink_article(
    session: DbSession, principal: CurrentPrincipal, ticket_id: uuid.UUID, article_id: uuid.UUID
) -> Response:
    await service.unlink(session, principal, ticket_id, article_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
