"""ideas and development

Revision ID: b7e1d0a4c9f2
Revises: 9c1e5a7b3d21
Create Date: 2026-12-03 20:10:00.000000+00:00

Feature requests and ideas (``ideas``, ``idea_votes``, ``idea_cases``,
``feature_request_routes``) and the development tracker link of a case handed to
development (``development_links``). New tables only: nothing existing changes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "b7e1d0a4c9f2"
down_revision: str | None = "9c1e5a7b3d21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOW = sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "ideas",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("product_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("status", sa.String(20), server_default="OPEN", nullable=False),
        sa.Column("public", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("planned_version", sa.String(50), nullable=True),
        sa.Column("shipped_version", sa.String(50), nullable=True),
        sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.CheckConstraint(
            "status IN ('OPEN', 'PLANNED', 'SHIPPED')", name=op.f("ck_ideas_known_idea_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ideas")),
    )
    op.create_index(op.f("ix_ideas_product_id"), "ideas", ["product_id"])
    op.create_index("ix_ideas_status_created", "ideas", ["status", "created_at"])

    op.create_table(
        "idea_votes",
        sa.Column("idea_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("contact_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("customer_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["idea_id"], ["ideas.id"], name=op.f("fk_idea_votes_idea_id_ideas"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("idea_id", "contact_id", name=op.f("pk_idea_votes")),
    )
    op.create_index(op.f("ix_idea_votes_customer_id"), "idea_votes", ["customer_id"])

    op.create_table(
        "idea_cases",
        sa.Column("ticket_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("idea_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("contact_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("customer_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("linked_by", sa.String(320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_idea_cases_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["idea_id"], ["ideas.id"], name=op.f("fk_idea_cases_idea_id_ideas"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_idea_cases")),
    )
    op.create_index(op.f("ix_idea_cases_idea_id"), "idea_cases", ["idea_id"])

    op.create_table(
        "feature_request_routes",
        sa.Column("ticket_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("route", sa.String(20), nullable=False),
        sa.Column("idea_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("routed_by", sa.String(320), nullable=False),
        sa.Column("routed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "route IN ('sales', 'development')",
            name=op.f("ck_feature_request_routes_known_feature_route"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_feature_request_routes_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["idea_id"],
            ["ideas.id"],
            name=op.f("fk_feature_request_routes_idea_id_ideas"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_feature_request_routes")),
    )

    op.create_table(
        "development_links",
        sa.Column("ticket_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("issue_key", sa.String(100), nullable=False),
        sa.Column("issue_url", sa.Text(), nullable=False),
        sa.Column("handed_by", sa.String(320), nullable=False),
        sa.Column("handed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fixed_version", sa.String(50), nullable=True),
        sa.Column("fixed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fix_note", sa.Text(), nullable=True),
        sa.Column("fixed_by", sa.String(320), nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_development_links_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_development_links")),
    )
    op.create_index(op.f("ix_development_links_issue_key"), "development_links", ["issue_key"])


def downgrade() -> None:
    op.drop_table("development_links")
    op.drop_table("feature_request_routes")
    op.drop_table("idea_cases")
    op.drop_table("idea_votes")
    op.drop_table("ideas")
