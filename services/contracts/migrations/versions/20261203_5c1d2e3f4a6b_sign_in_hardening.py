"""sign-in hardening: known-good addresses per account, billing idempotency request hash

Revision ID: 5c1d2e3f4a6b
Revises: 6abc52079dbe
Create Date: 2026-12-03 15:20:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5c1d2e3f4a6b"
down_revision: str | None = "6abc52079dbe"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_known_addresses",
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account", "address", name=op.f("pk_login_known_addresses")),
    )
    op.create_index(
        op.f("ix_login_known_addresses_last_success_at"),
        "login_known_addresses",
        ["last_success_at"],
        unique=False,
    )
    op.add_column("billable_items", sa.Column("request_hash", sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column("billable_items", "request_hash")
    op.drop_index(
        op.f("ix_login_known_addresses_last_success_at"), table_name="login_known_addresses"
    )
    op.drop_table("login_known_addresses")
