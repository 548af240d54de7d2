"""client services managers

Revision ID: c5a1e2d3f4b6
Revises: 8d3f6a2b1c57
Create Date: 2026-12-03 20:00:00.000000+00:00

The Client Services Manager of each region (contracts.csm): a customer's escalation goes
to the manager of the customer's region. A new table; nothing existing changes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "c5a1e2d3f4b6"
down_revision: str | None = "8d3f6a2b1c57"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "client_services_managers",
        sa.Column("region", sa.String(length=50), nullable=False),
        sa.Column("staff_user_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["staff_user_id"],
            ["staff_users.id"],
            name=op.f("fk_client_services_managers_staff_user_id_staff_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("region", name=op.f("pk_client_services_managers")),
    )
    op.create_index(
        op.f("ix_client_services_managers_staff_user_id"),
        "client_services_managers",
        ["staff_user_id"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_client_services_managers_staff_user_id"), table_name="client_services_managers"
    )
    op.drop_table("client_services_managers")
