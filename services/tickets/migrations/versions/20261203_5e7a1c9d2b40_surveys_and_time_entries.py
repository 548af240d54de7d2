"""surveys and time entries

Revision ID: 5e7a1c9d2b40
Revises: b7e1d0a4c9f2
Create Date: 2026-12-03 20:00:00.000000+00:00

New tables only: ``surveys`` (one per sampled closed case), ``survey_opt_outs`` (contacts
who switched surveys off) and ``time_entries``. Nothing existing changes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "5e7a1c9d2b40"
down_revision: str | None = "b7e1d0a4c9f2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUESTIONS = ("resolution", "response_time", "knowledge", "communication", "overall")


def upgrade() -> None:
    op.create_table(
        "surveys",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "ticket_id",
            postgresql.UUID(as_uuid=True),
            sa.ForeignKey("tickets.id", ondelete="CASCADE", name="fk_surveys_ticket_id_tickets"),
            nullable=False,
        ),
        sa.Column("customer_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("contact_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("plan_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("plan_code", sa.String(50), nullable=True),
        sa.Column("agent_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_via", sa.String(10), nullable=True),
        *(sa.Column(name, sa.SmallInteger(), nullable=True) for name in QUESTIONS),
        sa.Column("comment", sa.Text(), nullable=True),
        *(
            sa.CheckConstraint(f"{name} BETWEEN 1 AND 5", name=f"survey_{name}_score")
            for name in QUESTIONS
        ),
        sa.UniqueConstraint("ticket_id", name="uq_surveys_ticket_id"),
    )
    op.create_index("ix_surveys_contact_invited", "surveys", ["contact_id", "invited_at"])
    op.create_index("ix_surveys_invited", "surveys", ["invited_at"])
    op.create_index("ix_surveys_customer_id", "surveys", ["customer_id"])
    op.create_table(
        "survey_opt_outs",
        sa.Column("contact_id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("customer_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("opted_out_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opted_out_by", sa.String(320), nullable=False),
    )
    op.create_table(
        "time_entries",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "ticket_id",
            postgresql.UUID(as_uuid=True),
            sa.ForeignKey(
                "tickets.id", ondelete="CASCADE", name="fk_time_entries_ticket_id_tickets"
            ),
            nullable=False,
        ),
        sa.Column("customer_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("agent_id", sa.String(320), nullable=False),
        sa.Column("agent_email", sa.String(320), nullable=True),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("activity", sa.String(30), nullable=False),
        sa.Column("billable", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("billed_minutes", sa.Integer(), nullable=True),
        sa.Column("billed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("worked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("minutes BETWEEN 1 AND 1440", name="time_entry_minutes"),
    )
    op.create_index("ix_time_entries_ticket_worked", "time_entries", ["ticket_id", "worked_at"])


def downgrade() -> None:
    op.drop_table("time_entries")
    op.drop_table("survey_opt_outs")
    op.drop_table("surveys")
