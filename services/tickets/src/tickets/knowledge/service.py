"""Articles and their versions: who may write and read them, drafts and publishing, and the
links between articles and cases.

A draft is edited while the published version stays served; publishing makes the draft the
published version and keeps the one it replaces as history. Only the vendor's staff (and
its own integration keys) write; a customer's callers read published public articles.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.auth import Principal
from tickets.knowledge import repository
from tickets.knowledge.exceptions import (
    ArticleArchived,
    ArticleNotFound,
    KnowledgeForbidden,
    LinkNotFound,
    NothingToPublish,
    SlugTaken,
)
from tickets.knowledge.models import KnowledgeArticle, KnowledgeLink, KnowledgeVersion
from tickets.knowledge.rules import ArticleStatus, VersionState
from tickets.knowledge.schemas import (
    ArticleCreate,
    ArticleRead,
    ArticleUpdate,
    LinkRead,
    VersionRead,
)
from tickets.ticket import repository as tickets


def may_write(principal: Principal) -> bool:
    """The vendor's staff and its own integration keys (a CMS sync, say)."""
    return principal.is_staff or principal.is_vendor_integration


def ensure_may_write(principal: Principal) -> None:
    if not may_write(principal):
        raise KnowledgeForbidden()


def version_view(version: KnowledgeVersion) -> VersionRead:
    return VersionRead.model_validate(version, from_attributes=True)


async def article_view(
    session: AsyncSession, principal: Principal, article: KnowledgeArticle
) -> ArticleRead:
    published = await repository.version(session, article.published_version_id)
    draft = None
    if principal.is_vendor_side:
        draft = await repository.version(session, article.draft_version_id)
    shown = published or draft
    assert shown is not None  # every article has a published version or a draft
    return ArticleRead(
        id=article.id,
        slug=article.slug,
        language=article.language,
        product_id=article.product_id,
        visibility=article.visibility,
        status=article.status,
        title=shown.title,
        body=shown.body,
        published=version_view(published) if published else None,
        draft=version_view(draft) if draft else None,
        created_at=article.created_at,
        updated_at=article.updated_at,
    )


async def readable_article(
    session: AsyncSession, principal: Principal, article_id: uuid.UUID, *, lock: bool = False
) -> KnowledgeArticle:
    """The article if the caller may read it; ``ARTICLE_NOT_FOUND`` otherwise, the same
    answer as for one that does not exist."""
    article = await repository.get_article(session, article_id, lock=lock)
    if article is None:
        raise ArticleNotFound()
    if not principal.is_vendor_side and not (
        article.status == ArticleStatus.PUBLISHED and article.visibility == "public"
    ):
        raise ArticleNotFound()
    return article


async def create_article(
    session: AsyncSession, principal: Principal, data: ArticleCreate
) -> KnowledgeArticle:
    ensure_may_write(principal)
    if await repository.slug_taken(session, data.language.value, data.slug):
        raise SlugTaken(details={"slug": data.slug, "language": data.language.value})
    article = KnowledgeArticle(
        id=uuid.uuid4(),
        slug=data.slug,
        language=data.language.value,
        product_id=data.product_id,
        visibility=data.visibility.value,
        status=ArticleStatus.DRAFT.value,
        created_by=principal.subject,
    )
    draft = KnowledgeVersion(
        id=uuid.uuid4(),
        article_id=article.id,
        number=1,
        language=article.language,
        title=data.title,
        body=data.body,
        state=VersionState.DRAFT.value,
        author_id=principal.subject,
    )
    article.draft_version_id = draft.id
    session.add(article)
    await session.flush()
    session.add(draft)
    await session.flush()
    return article


async def update_article(
    session: AsyncSession, principal: Principal, article_id: uuid.UUID, data: ArticleUpdate
) -> KnowledgeArticle:
    """Title and body go to the draft (one is made from the published text when there is
    none); slug, product and visibility change at once."""
    ensure_may_write(principal)
    article = await readable_article(session, principal, article_id, lock=True)
    given = data.model_dump(exclude_unset=True)
    if data.slug is not None and data.slug != article.slug:
        if await repository.slug_taken(session, article.language, data.slug, other_than=article.id):
            raise SlugTaken(details={"slug": data.slug, "language": article.language})
        article.slug = data.slug
    if "product_id" in given:
        article.product_id = data.product_id
    if data.visibility is not None:
        article.visibility = data.visibility.value
    if data.title is not None or data.body is not None:
        draft = await _draft_of(session, principal, article)
        draft.title = data.title if data.title is not None else draft.title
        draft.body = data.body if data.body is not None else draft.body
        draft.author_id = principal.subject
    article.updated_at = datetime.now(UTC)
    await session.flush()
    return article


async def _draft_of(
    session: AsyncSession, principal: Principal, article: KnowledgeArticle
) -> KnowledgeVersion:
    draft = await repository.version(session, article.draft_version_id)
    if draft is not None:
        return draft
    published = await repository.version(session, article.published_version_id)
    assert published is not None
    draft = KnowledgeVersion(
        id=uuid.uuid4(),
        article_id=article.id,
        number=await repository.next_number(session, article.id),
        language=article.language,
        title=published.title,
        body=published.body,
        state=VersionState.DRAFT.value,
        author_id=principal.subject,
    )
    session.add(draft)
    await session.flush()
    article.draft_version_id = draft.id
    return draft


async def publish(
    session: AsyncSession, principal: Principal, article_id: uuid.UUID
) -> KnowledgeArticle:
    """The draft becomes what customers read; the version it replaces is kept as history.
    An archived article with a draft is published again."""
    ensure_may_write(principal)
    article = await readable_article(session, principal, article_id, lock=True)
    draft = await repository.version(session, article.draft_version_id)
    if draft is None:
        raise NothingToPublish()
    now = datetime.now(UTC)
    previous = await repository.version(session, article.published_version_id)
    if previous is not None:
        previous.state = VersionState.SUPERSEDED.value
    draft.state = VersionState.PUBLISHED.value
    draft.published_at = now
    article.published_version_id = draft.id
    article.draft_version_id = None
    article.status = ArticleStatus.PUBLISHED.value
    article.updated_at = now
    await session.flush()
    return article


async def archive(
    session: AsyncSession, principal: Principal, article_id: uuid.UUID
) -> KnowledgeArticle:
    """No longer served to customers nor suggested; its versions and links stay."""
    ensure_may_write(principal)
    article = await readable_article(session, principal, article_id, lock=True)
    if article.status == ArticleStatus.ARCHIVED:
        raise ArticleArchived()
    article.status = ArticleStatus.ARCHIVED.value
    article.updated_at = datetime.now(UTC)
    await session.flush()
    return article


async def versions(
    session: AsyncSession, principal: Principal, article_id: uuid.UUID
) -> list[VersionRead]:
    """Staff: every version, newest first. A customer sees the published one alone."""
    article = await readable_article(session, principal, article_id)
    if not principal.is_vendor_side:
        published = await repository.version(session, article.published_version_id)
        return [version_view(published)] if published else []
    return [version_view(v) for v in await repository.versions_of(session, article.id)]


# -- links between articles and cases ---------------------------------------------------------


async def link(
    session: AsyncSession, principal: Principal, ticket_id: uuid.UUID, article_id: uuid.UUID
) -> LinkRead:
    """Links (again: once) an article to a case; staff only."""
    ensure_may_write(principal)
    await tickets.get_ticket(session, principal=principal, ticket_id=ticket_id)
    await readable_article(session, principal, article_id)
    await session.execute(
        insert(KnowledgeLink)
        .values(ticket_id=ticket_id, article_id=article_id, linked_by=principal.subject)
        .on_conflict_do_nothing()
    )
    found = await links(session, principal, ticket_id)
    return next(item for item in found if item.article_id == article_id)


async def unlink(
    session: AsyncSession, principal: Principal, ticket_id: uuid.UUID, article_id: uuid.UUID
) -> None:
    ensure_may_write(principal)
    await tickets.get_ticket(session, principal=principal, ticket_id=ticket_id)
    removed = await session.execute(
        delete(KnowledgeLink)
        .where(KnowledgeLink.ticket_id == ticket_id, KnowledgeLink.article_id == article_id)
        .returning(KnowledgeLink.article_id)
    )
    if removed.first() is None:
        raise LinkNotFound()


async def links(
    session: AsyncSession, principal: Principal, ticket_id: uuid.UUID
) -> list[LinkRead]:
    """The articles linked to a case the caller may see (``TICKET_NOT_FOUND`` otherwise);
    a customer's callers see the links to published public articles only."""
    await tickets.get_ticket(session, principal=principal, ticket_id=ticket_id)
    rows = await repository.links_of(
        session, ticket_id, where=repository.readable_clause(principal)
    )
    return [
        LinkRead(
            ticket_id=item.ticket_id,
            article_id=article.id,
            slug=article.slug,
            language=article.language,
            title=title,
            linked_by=item.linked_by if principal.is_vendor_side else None,
            created_at=item.created_at,
        )
        for item, article, title in rows
    ]
