"""inbound mail: raw messages, quarantine, automatic answers

Revision ID: b7e1a2c4d5f6
Revises: 740194605c20
Create Date: 2026-12-03 20:00:00.000000+00:00

New tables only (tickets.inbound.models): deploying needs nothing else.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "b7e1a2c4d5f6"
down_revision: str | None = "740194605c20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbound_messages",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("mail_from", sa.String(length=320), nullable=True),
        sa.Column(
            "rcpt_to", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False
        ),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="RECEIVED", nullable=False),
        sa.Column("outcome", sa.String(length=30), nullable=True),
        sa.Column(
            "detail", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column("message_id", sa.String(length=500), nullable=True),
        sa.Column("from_address", sa.String(length=320), nullable=True),
        sa.Column("from_domain", sa.String(length=255), nullable=True),
        sa.Column("subject", sa.String(length=1000), nullable=True),
        sa.Column("ticket_id", sa.UUID(), nullable=True),
        sa.Column("ticket_message_id", sa.UUID(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('RECEIVED', 'DONE', 'QUARANTINED', 'FAILED')",
            name=op.f("ck_inbound_messages_known_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_messages")),
    )
    op.create_index(
        "ix_inbound_messages_pending",
        "inbound_messages",
        ["received_at"],
        postgresql_where=sa.text("status = 'RECEIVED'"),
    )
    op.create_index(
        "ix_inbound_messages_sender", "inbound_messages", ["from_address", "received_at"]
    )
    op.create_index(
        "ix_inbound_messages_domain", "inbound_messages", ["from_domain", "received_at"]
    )
    op.create_index("ix_inbound_messages_ticket_message", "inbound_messages", ["ticket_message_id"])
    op.create_table(
        "inbound_quarantine",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("inbound_id", sa.UUID(), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("ticket_id", sa.UUID(), nullable=True),
        sa.Column("ticket_number", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="HELD", nullable=False),
        sa.Column("decided_by", sa.String(length=320), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('HELD', 'RELEASED', 'REJECTED')",
            name=op.f("ck_inbound_quarantine_known_status"),
        ),
        sa.CheckConstraint(
            "reason IN ('FOREIGN_SENDER', 'UNVERIFIED_SENDER', 'MALFORMED')",
            name=op.f("ck_inbound_quarantine_known_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["inbound_id"],
            ["inbound_messages.id"],
            name=op.f("fk_inbound_quarantine_inbound_id_inbound_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_quarantine")),
        sa.UniqueConstraint("inbound_id", name=op.f("uq_inbound_quarantine_inbound_id")),
    )
    op.create_index("ix_inbound_quarantine_status", "inbound_quarantine", ["status", "created_at"])
    op.create_table(
        "inbound_auto_answers",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_auto_answers")),
    )
    op.create_index(
        "ix_inbound_auto_answers_address", "inbound_auto_answers", ["address", "kind", "at"]
    )


def downgrade() -> None:
    op.drop_table("inbound_auto_answers")
    op.drop_table("inbound_quarantine")
    op.drop_table("inbound_messages")
