"""tenant wall: contact invitations, per-caller billing idempotency keys, login attempts

Revision ID: 6abc52079dbe
Revises: 1339b7f66e6d
Create Date: 2026-12-03 14:20:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6abc52079dbe"
down_revision: str | None = "1339b7f66e6d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Contacts added by a customer are invitations until their person accepts them; the
    # sign-in email is unique among accepted accounts only.
    op.add_column(
        "contacts", sa.Column("pending", sa.Boolean(), server_default="false", nullable=False)
    )
    op.add_column(
        "contacts", sa.Column("invitation_token_hash", sa.String(length=64), nullable=True)
    )
    op.add_column(
        "contacts",
        sa.Column("invitation_expires_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_unique_constraint(
        op.f("uq_contacts_invitation_token_hash"), "contacts", ["invitation_token_hash"]
    )
    op.drop_index("uq_contacts_email_lower", table_name="contacts")
    op.create_index(
        "uq_contacts_email_lower_accepted",
        "contacts",
        [sa.literal_column("lower(email)")],
        unique=True,
        postgresql_where=sa.text("NOT pending"),
    )
    op.create_index(
        "uq_contacts_customer_id_email_lower",
        "contacts",
        ["customer_id", sa.literal_column("lower(email)")],
        unique=True,
    )

    # Billing idempotency keys belong to the caller that recorded the item.
    op.add_column(
        "billable_items",
        sa.Column("recorded_by", sa.String(length=320), server_default="", nullable=False),
    )
    op.drop_constraint(op.f("uq_billable_items_idempotency_key"), "billable_items", type_="unique")
    op.create_unique_constraint(
        op.f("uq_billable_items_recorded_by_idempotency_key"),
        "billable_items",
        ["recorded_by", "idempotency_key"],
    )

    op.create_table(
        "login_attempts",
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lockouts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_attempts")),
    )
    op.create_index(
        op.f("ix_login_attempts_updated_at"), "login_attempts", ["updated_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_login_attempts_updated_at"), table_name="login_attempts")
    op.drop_table("login_attempts")
    op.drop_constraint(
        op.f("uq_billable_items_recorded_by_idempotency_key"), "billable_items", type_="unique"
    )
    op.execute(
        "DELETE FROM billable_items a USING billable_items b "
        "WHERE a.idempotency_key = b.idempotency_key AND a.created_at > b.created_at"
    )
    op.create_unique_constraint(
        op.f("uq_billable_items_idempotency_key"), "billable_items", ["idempotency_key"]
    )
    op.drop_column("billable_items", "recorded_by")
    op.drop_index("uq_contacts_customer_id_email_lower", table_name="contacts")
    op.drop_index("uq_contacts_email_lower_accepted", table_name="contacts")
    op.execute("DELETE FROM contacts WHERE pending")
    op.create_index(
        "uq_contacts_email_lower", "contacts", [sa.literal_column("lower(email)")], unique=True
    )
    op.drop_constraint(op.f("uq_contacts_invitation_token_hash"), "contacts", type_="unique")
    op.drop_column("contacts", "invitation_expires_at")
    op.drop_column("contacts", "invitation_token_hash")
    op.drop_column("contacts", "pending")
