"""escalations, contact attempts and change requests

Revision ID: e5c41a7b9d20
Revises: 5e7a1c9d2b40
Create Date: 2026-12-03 20:00:00.000000+00:00

tickets.escalation's tables: escalations in both meanings (a customer's, owned by the
region's Client Services Manager, and staff's to another team), the contact attempts of
the escalation path, and customers' priority change requests. New tables only.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "e5c41a7b9d20"
down_revision: str | None = "5e7a1c9d2b40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = postgresql.UUID(as_uuid=True)
TZ = sa.DateTime(timezone=True)


def _ticket_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["ticket_id"], ["tickets.id"], name=f"fk_{table}_ticket_id_tickets", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "escalations",
        sa.Column("id", UUID, nullable=False),
        sa.Column("ticket_id", UUID, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("team", sa.String(100), nullable=True),
        sa.Column("owner_id", UUID, nullable=True),
        sa.Column("owner_email", sa.String(320), nullable=True),
        sa.Column("owner_name", sa.String(200), nullable=True),
        sa.Column("previous_status", sa.String(20), nullable=False),
        sa.Column("opened_by", sa.String(320), nullable=False),
        sa.Column("opened_at", TZ, nullable=False),
        sa.Column("resolved_by", sa.String(320), nullable=True),
        sa.Column("resolved_at", TZ, nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('CUSTOMER', 'INTERNAL')", name=op.f("ck_escalations_known_kind")
        ),
        sa.CheckConstraint(
            "kind = 'INTERNAL' OR team IS NULL", name=op.f("ck_escalations_team_only_internal")
        ),
        _ticket_fk("escalations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalations")),
    )
    op.create_index(op.f("ix_escalations_ticket_id"), "escalations", ["ticket_id"])
    op.create_index(
        "uq_escalations_open_kind",
        "escalations",
        ["ticket_id", "kind"],
        unique=True,
        postgresql_where=sa.text("resolved_at IS NULL"),
    )
    op.create_table(
        "contact_attempts",
        sa.Column("id", UUID, nullable=False),
        sa.Column("ticket_id", UUID, nullable=False),
        sa.Column("escalation_id", UUID, nullable=True),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("skipped_ahead", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("by", sa.String(320), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.CheckConstraint(
            "channel IN ('EMAIL', 'PHONE', 'WEB_CONFERENCE')",
            name=op.f("ck_contact_attempts_known_channel"),
        ),
        _ticket_fk("contact_attempts"),
        sa.ForeignKeyConstraint(
            ["escalation_id"],
            ["escalations.id"],
            name="fk_contact_attempts_escalation_id_escalations",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_attempts")),
    )
    op.create_index("ix_contact_attempts_ticket_at", "contact_attempts", ["ticket_id", "at"])
    op.create_table(
        "change_requests",
        sa.Column("id", UUID, nullable=False),
        sa.Column("ticket_id", UUID, nullable=False),
        sa.Column("from_priority", sa.String(30), nullable=True),
        sa.Column("to_priority", sa.String(30), nullable=False),
        sa.Column("motivation", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("requested_by", sa.String(320), nullable=False),
        sa.Column("requested_at", TZ, nullable=False),
        sa.Column("decided_by", sa.String(320), nullable=True),
        sa.Column("decided_at", TZ, nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('PENDING', 'ACCEPTED', 'REFUSED')",
            name=op.f("ck_change_requests_known_change_status"),
        ),
        _ticket_fk("change_requests"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_requests")),
    )
    op.create_index(op.f("ix_change_requests_ticket_id"), "change_requests", ["ticket_id"])
    op.create_index(
        "uq_change_requests_pending",
        "change_requests",
        ["ticket_id"],
        unique=True,
        postgresql_where=sa.text("status = 'PENDING'"),
    )


def downgrade() -> None:
    op.drop_table("change_requests")
    op.drop_table("contact_attempts")
    op.drop_table("escalations")
