"""visits, emergencies and the on-call rota

Revision ID: 5c1d2e7a9b31
Revises: e5c41a7b9d20
Create Date: 2026-12-03 20:00:00.000000+00:00

New tables only (tickets.visits.models): scheduled customer visits, declared emergencies
(one per case) and on-call shifts per support center.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "5c1d2e7a9b31"
down_revision: str | None = "e5c41a7b9d20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "visits",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("customer_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("customer_name", sa.String(200)),
        sa.Column("support_center", sa.String(50)),
        sa.Column("starts_at", _TZ, nullable=False),
        sa.Column("ends_at", _TZ, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("purpose", sa.Text()),
        sa.Column("location", sa.String(300)),
        sa.Column("requested_by", sa.String(320), nullable=False),
        sa.Column("booked_by", sa.String(320)),
        sa.Column("confirmed_at", _TZ),
        sa.Column("cancelled_by", sa.String(320)),
        sa.Column("cancelled_at", _TZ),
        sa.Column("cancel_reason", sa.Text()),
        sa.Column("started_event_at", _TZ),
        sa.Column("created_at", _TZ, server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint(
            "status IN ('REQUESTED', 'CONFIRMED', 'CANCELLED')",
            name=op.f("ck_visits_known_visit_status"),
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_visits_visit_ends_after_start")),
    )
    op.create_index("ix_visits_customer_window", "visits", ["customer_id", "starts_at", "ends_at"])
    op.create_index(
        "ix_visits_unannounced",
        "visits",
        ["starts_at"],
        postgresql_where=sa.text("status = 'CONFIRMED' AND started_event_at IS NULL"),
    )
    op.create_table(
        "emergencies",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "ticket_id",
            postgresql.UUID(as_uuid=True),
            sa.ForeignKey("tickets.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        ),
        sa.Column("customer_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("support_center", sa.String(50)),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("declared_by", sa.String(320), nullable=False),
        sa.Column("declared_at", _TZ, nullable=False),
        sa.Column("billable", sa.Boolean(), nullable=False),
        sa.Column("billed_agreement_id", postgresql.UUID(as_uuid=True)),
        sa.Column("alerted", postgresql.JSONB(), server_default="[]", nullable=False),
    )
    op.create_index("ix_emergencies_customer_id", "emergencies", ["customer_id"])
    op.create_table(
        "oncall_shifts",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("support_center", sa.String(50), nullable=False),
        sa.Column("staff_email", sa.String(320), nullable=False),
        sa.Column("staff_id", postgresql.UUID(as_uuid=True)),
        sa.Column("starts_at", _TZ, nullable=False),
        sa.Column("ends_at", _TZ, nullable=False),
        sa.Column("note", sa.String(500)),
        sa.Column("created_by", sa.String(320), nullable=False),
        sa.Column("created_at", _TZ, server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint(
            "ends_at > starts_at", name=op.f("ck_oncall_shifts_shift_ends_after_start")
        ),
    )
    op.create_index(
        "ix_oncall_shifts_center_window",
        "oncall_shifts",
        ["support_center", "starts_at", "ends_at"],
    )


def downgrade() -> None:
    op.drop_table("oncall_shifts")
    op.drop_table("emergencies")
    op.drop_table("visits")
