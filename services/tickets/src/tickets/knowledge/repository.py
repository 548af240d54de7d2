"""The knowledge base's statements: full-text search with ranking and highlights, article
and version reads, links and the deflection report.

Search runs on each version's stored ``search_vector`` (GIN index), with the query parsed
by the article's own language configuration: ``wachtwoorden`` finds ``wachtwoord`` in a
Dutch article, ``passwords`` finds ``password`` in an English one. Without a language, each
language's articles are matched by their own configuration (two index scans, OR-ed).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    func,
    literal_column,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.auth import Principal
from tickets.knowledge.models import KnowledgeArticle, KnowledgeLink, KnowledgeVersion
from tickets.knowledge.rules import (
    CONFIGS,
    MARK_START,
    MARK_STOP,
    ArticleStatus,
    Language,
    Visibility,
)

A, V = KnowledgeArticle, KnowledgeVersion

_BODY_HEADLINE = (
    f'StartSel="{MARK_START}", StopSel="{MARK_STOP}", MaxWords=35, MinWords=12, '
    'MaxFragments=2, FragmentDelimiter=" … "'
)
_TITLE_HEADLINE = f'StartSel="{MARK_START}", StopSel="{MARK_STOP}", HighlightAll=true'


@dataclass(frozen=True, slots=True)
class ArticleFilter:
    search: str | None = None
    language: Language | None = None
    product_id: uuid.UUID | None = None
    status: ArticleStatus | None = None
    visibility: Visibility | None = None


@dataclass(frozen=True, slots=True)
class Hit:
    article: KnowledgeArticle
    title: str
    rank: float | None
    title_highlight: str | None
    highlight: str | None


def readable_clause(principal: Principal) -> ColumnElement[bool]:
    """The vendor's side reads every article; a customer's callers the published public ones."""
    if principal.is_vendor_side:
        return true()
    return and_(A.status == ArticleStatus.PUBLISHED.value, A.visibility == Visibility.PUBLIC.value)


def suggestible_clause(principal: Principal) -> ColumnElement[bool]:
    """Suggested: published only; internal ones to the vendor's side alone."""
    published = A.status == ArticleStatus.PUBLISHED.value
    if principal.is_vendor_side:
        return published
    return and_(published, A.visibility == Visibility.PUBLIC.value)


def _config(language: Language) -> ColumnElement[Any]:
    return literal_column(f"'{CONFIGS[language]}'::regconfig")


def _row_config() -> ColumnElement[Any]:
    return case((V.language == Language.NL.value, _config(Language.NL)), else_=_config(Language.EN))


def _matching(words: str, language: Language | None) -> tuple[ColumnElement[bool], Any]:
    """The match condition and the row's tsquery, for ``websearch_to_tsquery`` syntax."""
    languages = [language] if language else list(Language)
    queries = {lang: func.websearch_to_tsquery(_config(lang), words) for lang in languages}
    match = or_(
        *(
            and_(V.language == lang.value, V.search_vector.op("@@")(query))
            for lang, query in queries.items()
        )
    )
    if language:
        return match, queries[language]
    row_query = case(
        (V.language == Language.NL.value, queries[Language.NL]), else_=queries[Language.EN]
    )
    return match, row_query


def _current_version() -> ColumnElement[bool]:
    """The text an article is shown and searched by: its published version, else (staff
    only: an article never published) its draft."""
    return V.id == func.coalesce(A.published_version_id, A.draft_version_id)


def _base(where: Sequence[ColumnElement[bool]], f: ArticleFilter) -> list[ColumnElement[bool]]:
    conditions = list(where)
    if f.language is not None:
        conditions.append(A.language == f.language.value)
    if f.product_id is not None:
        conditions.append(or_(A.product_id == f.product_id, A.product_id.is_(None)))
    if f.status is not None:
        conditions.append(A.status == f.status.value)
    if f.visibility is not None:
        conditions.append(A.visibility == f.visibility.value)
    return conditions


async def search(
    session: AsyncSession,
    *,
    where: ColumnElement[bool],
    f: ArticleFilter,
    limit: int,
    offset: int,
) -> tuple[list[Hit], int]:
    """A page of articles and the total. With ``f.search``: best match first
    (``ts_rank_cd``, cover density over the weighted title and body) with highlights;
    without: most recently changed first."""
    conditions = _base([where, _current_version()], f)
    columns: list[Any] = [A, V.title]
    order: list[Any]
    if f.search:
        match, query = _matching(f.search, f.language)
        conditions.append(match)
        rank = func.ts_rank_cd(V.search_vector, query)
        columns += [
            rank,
            func.ts_headline(_row_config(), V.title, query, _TITLE_HEADLINE),
            func.ts_headline(_row_config(), V.body, query, _BODY_HEADLINE),
        ]
        order = [rank.desc(), A.updated_at.desc(), A.id]
    else:
        order = [A.updated_at.desc(), A.id]
    joined: Select[Any] = select(*columns).select_from(A).join(V, _current_version())
    joined = joined.where(*conditions)
    count = select(func.count()).select_from(A).join(V, _current_version()).where(*conditions)
    total = await session.scalar(count) or 0
    rows = (await session.execute(joined.order_by(*order).limit(limit).offset(offset))).all()
    hits = []
    for row in rows:
        if f.search:
            hits.append(Hit(row[0], row[1], float(row[2]), row[3], row[4]))
        else:
            hits.append(Hit(row[0], row[1], None, None, None))
    return hits, total


async def get_article(
    session: AsyncSession, article_id: uuid.UUID, *, lock: bool = False
) -> KnowledgeArticle | None:
    query = select(A).where(A.id == article_id)
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


async def versions_of(session: AsyncSession, article_id: uuid.UUID) -> list[KnowledgeVersion]:
    """Newest first."""
    rows = await session.scalars(
        select(V).where(V.article_id == article_id).order_by(V.number.desc())
    )
    return list(rows)


async def version(session: AsyncSession, version_id: uuid.UUID | None) -> KnowledgeVersion | None:
    if version_id is None:
        return None
    return await session.get(V, version_id)


async def next_number(session: AsyncSession, article_id: uuid.UUID) -> int:
    highest = await session.scalar(select(func.max(V.number)).where(V.article_id == article_id))
    return (highest or 0) + 1


async def slug_taken(
    session: AsyncSession, language: str, slug: str, *, other_than: uuid.UUID | None = None
) -> bool:
    query = select(A.id).where(A.language == language, A.slug == slug)
    if other_than is not None:
        query = query.where(A.id != other_than)
    return await session.scalar(query) is not None


async def links_of(
    session: AsyncSession, ticket_id: uuid.UUID, *, where: ColumnElement[bool]
) -> list[tuple[KnowledgeLink, KnowledgeArticle, str]]:
    """The articles linked to a case that the caller may read, oldest link first."""
    rows = await session.execute(
        select(KnowledgeLink, A, V.title)
        .join(A, A.id == KnowledgeLink.article_id)
        .join(V, _current_version())
        .where(KnowledgeLink.ticket_id == ticket_id, where)
        .order_by(KnowledgeLink.created_at, A.slug)
    )
    return [(link, article, title) for link, article, title in rows.all()]


_REPORT = text(
    """
    SELECT a.id, a.slug, a.language, v.title,
           count(*) AS shown,
           count(*) FILTER (WHERE s.outcome = 'deflected' AND s.helpful_article_id = a.id)
               AS helpful,
           count(*) FILTER (WHERE s.outcome = 'case_opened') AS cases_opened
    FROM knowledge_suggestions AS s
    CROSS JOIN LATERAL unnest(s.shown_article_ids) AS shown(article_id)
    JOIN knowledge_articles AS a ON a.id = shown.article_id
    JOIN knowledge_versions AS v ON v.id = coalesce(a.published_version_id, a.draft_version_id)
    WHERE (CAST(:period_from AS timestamptz) IS NULL OR s.created_at >= :period_from)
      AND (CAST(:period_to AS timestamptz) IS NULL OR s.created_at < :period_to)
      AND (CAST(:language AS text) IS NULL OR a.language = :language)
    GROUP BY a.id, a.slug, a.language, v.title
    ORDER BY shown DESC, a.slug
    LIMIT 500
    """
)

_OUTCOMES = text(
    """
    SELECT s.outcome, count(*) FROM knowledge_suggestions AS s
    WHERE (CAST(:period_from AS timestamptz) IS NULL OR s.created_at >= :period_from)
      AND (CAST(:period_to AS timestamptz) IS NULL OR s.created_at < :period_to)
    GROUP BY s.outcome
    """
)


async def deflection(
    session: AsyncSession,
    *,
    period_from: datetime | None,
    period_to: datetime | None,
    language: Language | None,
) -> tuple[list[Any], dict[str, int]]:
    """Per article shown in the period: how often, marked helpful, followed by a case (at
    most the 500 most shown); and the period's suggestions by outcome."""
    params = {
        "period_from": period_from,
        "period_to": period_to,
        "language": language.value if language else None,
    }
    rows = list((await session.execute(_REPORT, params)).all())
    period = {k: v for k, v in params.items() if k != "language"}
    outcomes = {str(o): int(n) for o, n in (await session.execute(_OUTCOMES, period)).all()}
    return rows, outcomes
