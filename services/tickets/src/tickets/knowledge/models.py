"""The knowledge base's tables: articles, their versions (each with its own stored,
language-aware search vector), the links between articles and cases, and the suggestions
shown while a case was being written (what was shown to whom, and how it ended).

They share tickets' metadata (one database, one migration history) but live here, apart
from the case tables: nothing of a case changes when an article does.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Computed,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR, UUID
from sqlalchemy.orm import Mapped, mapped_column

from careplane_shared.auth import Principal
from tickets.knowledge.rules import REGCONFIG_SQL
from tickets.models import Base


class KnowledgeArticle(Base):
    """What stays the same across versions: the slug, language, product, visibility and
    where the article is in its life (draft, published, archived)."""

    __tablename__ = "knowledge_articles"
    __mapper_args__ = {"eager_defaults": True}
    __table_args__ = (
        UniqueConstraint("language", "slug", name="uq_knowledge_articles_language_slug"),
        Index("ix_knowledge_articles_status_language", "status", "language"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    slug: Mapped[str] = mapped_column(String(120))
    language: Mapped[str] = mapped_column(String(2))
    product_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    visibility: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10))
    # The version customers read, and the one staff are editing (either may be missing).
    published_version_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    draft_version_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), nullable=False
    )


class KnowledgeVersion(Base):
    """One text of an article. A draft is edited in place; publishing freezes it, and the
    version it replaces stays as history (``superseded``)."""

    __tablename__ = "knowledge_versions"
    __mapper_args__ = {"eager_defaults": True}
    __table_args__ = (
        UniqueConstraint("article_id", "number", name="uq_knowledge_versions_article_number"),
        Index("ix_knowledge_versions_search", "search_vector", postgresql_using="gin"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    article_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("knowledge_articles.id", ondelete="CASCADE")
    )
    number: Mapped[int] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(2))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(12))
    author_id: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), nullable=False
    )
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Title weighs A, body B, each stemmed by its language's configuration.
    search_vector: Mapped[str | None] = mapped_column(
        TSVECTOR,
        Computed(
            f"setweight(to_tsvector({REGCONFIG_SQL}, coalesce(title, '')), 'A') || "
            f"setweight(to_tsvector({REGCONFIG_SQL}, coalesce(body, '')), 'B')",
            persisted=True,
        ),
    )


class KnowledgeLink(Base):
    """Staff linked this article to this case (the case view lists them)."""

    __tablename__ = "knowledge_links"
    __mapper_args__ = {"eager_defaults": True}

    ticket_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    article_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("knowledge_articles.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    linked_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


class KnowledgeSuggestion(Base):
    """The articles shown to one customer-side caller while one case was being written.

    ``outcome``: ``pending`` (nothing known yet), ``deflected`` (the caller said an article
    solved it) or ``case_opened`` (the case was opened anyway, ``ticket_id``)."""

    __tablename__ = "knowledge_suggestions"
    __mapper_args__ = {"eager_defaults": True}
    __table_args__ = (Index("ix_knowledge_suggestions_created", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    requested_by: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    language: Mapped[str | None] = mapped_column(String(2))
    shown_article_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)))
    outcome: Mapped[str] = mapped_column(String(12), server_default="pending")
    helpful_article_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    ticket_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), nullable=False
    )

    def belongs_to(self, principal: Principal) -> bool:
        """The customer's own people and keys only; the one who asked, for a plain contact."""
        if principal.customer_id is None or principal.customer_id != self.customer_id:
            return False
        return principal.is_customer_admin or principal.subject == self.requested_by
