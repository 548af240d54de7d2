"""knowledge base

Revision ID: 9c1e5a7b3d21
Revises: b7e1a2c4d5f6
Create Date: 2026-12-03 20:00:00.000000+00:00

Articles and their versions (each with a stored tsvector of its title, weight A, and body,
weight B, by its language's text-search configuration, GIN-indexed), links between
articles and cases, and the suggestions shown while a case was written. New tables only:
a replica of the previous release does not read them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "9c1e5a7b3d21"
down_revision: str | None = "b7e1a2c4d5f6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REGCONFIG = "CASE language WHEN 'nl' THEN 'dutch'::regconfig ELSE 'english'::regconfig END"


def _timestamps() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "knowledge_articles",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("product_id", sa.UUID(), nullable=True),
        sa.Column("visibility", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("published_version_id", sa.UUID(), nullable=True),
        sa.Column("draft_version_id", sa.UUID(), nullable=True),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_articles")),
        sa.UniqueConstraint("language", "slug", name="uq_knowledge_articles_language_slug"),
    )
    op.create_index(
        "ix_knowledge_articles_status_language", "knowledge_articles", ["status", "language"]
    )
    op.create_table(
        "knowledge_versions",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("article_id", sa.UUID(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("author_id", sa.String(length=320), nullable=False),
        *_timestamps(),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "search_vector",
            postgresql.TSVECTOR(),
            sa.Computed(
                f"setweight(to_tsvector({REGCONFIG}, coalesce(title, '')), 'A') || "
                f"setweight(to_tsvector({REGCONFIG}, coalesce(body, '')), 'B')",
                persisted=True,
            ),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["knowledge_articles.id"],
            name=op.f("fk_knowledge_versions_article_id_knowledge_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_versions")),
        sa.UniqueConstraint("article_id", "number", name="uq_knowledge_versions_article_number"),
    )
    op.create_index(
        "ix_knowledge_versions_search",
        "knowledge_versions",
        ["search_vector"],
        postgresql_using="gin",
    )
    op.create_table(
        "knowledge_links",
        sa.Column("ticket_id", sa.UUID(), nullable=False),
        sa.Column("article_id", sa.UUID(), nullable=False),
        sa.Column("linked_by", sa.String(length=320), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["knowledge_articles.id"],
            name=op.f("fk_knowledge_links_article_id_knowledge_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_knowledge_links_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ticket_id", "article_id", name=op.f("pk_knowledge_links")),
    )
    op.create_index("ix_knowledge_links_article_id", "knowledge_links", ["article_id"])
    op.create_table(
        "knowledge_suggestions",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("customer_id", sa.UUID(), nullable=False),
        sa.Column("requested_by", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=True),
        sa.Column("shown_article_ids", postgresql.ARRAY(sa.UUID()), nullable=False),
        sa.Column("outcome", sa.String(length=12), server_default="pending", nullable=False),
        sa.Column("helpful_article_id", sa.UUID(), nullable=True),
        sa.Column("ticket_id", sa.UUID(), nullable=True),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_knowledge_suggestions_ticket_id_tickets"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_suggestions")),
    )
    op.create_index("ix_knowledge_suggestions_created", "knowledge_suggestions", ["created_at"])
    op.create_index(
        "ix_knowledge_suggestions_customer_id", "knowledge_suggestions", ["customer_id"]
    )


def downgrade() -> None:
    op.drop_table("knowledge_suggestions")
    op.drop_table("knowledge_links")
    op.drop_table("knowledge_versions")
    op.drop_table("knowledge_articles")
