"""mail bounces on deliveries: the latest bounce of a mail, and the status "bounced"

Revision ID: b7c4e1f09a3d
Revises: 5e1a7c0d9b42
Create Date: 2026-12-03 20:10:00.000000+00:00

Nullable columns only and a wider status check: old code keeps working against the new
schema (it never writes "bounced"), so it deploys before or with the code.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b7c4e1f09a3d"
down_revision: str | None = "5e1a7c0d9b42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUSES = "status IN ('pending', 'delivering', 'succeeded', 'failed', 'dead')"
NEW_STATUSES = "status IN ('pending', 'delivering', 'succeeded', 'failed', 'dead', 'bounced')"


def upgrade() -> None:
    op.add_column("deliveries", sa.Column("bounced_at", sa.DateTime(timezone=True)))
    op.add_column("deliveries", sa.Column("bounce_status", sa.String(32)))
    op.add_column("deliveries", sa.Column("bounce_action", sa.String(32)))
    op.add_column("deliveries", sa.Column("bounce_diagnostic", sa.Text()))
    op.add_column("deliveries", sa.Column("bounce_recipient", sa.String(300)))
    op.drop_constraint(op.f("ck_deliveries_known_status"), "deliveries", type_="check")
    op.create_check_constraint(op.f("ck_deliveries_known_status"), "deliveries", NEW_STATUSES)


def downgrade() -> None:
    # A bounced mail was delivered to the server that took it: it reads as succeeded.
    op.execute("UPDATE deliveries SET status = 'succeeded' WHERE status = 'bounced'")
    op.drop_constraint(op.f("ck_deliveries_known_status"), "deliveries", type_="check")
    op.create_check_constraint(op.f("ck_deliveries_known_status"), "deliveries", OLD_STATUSES)
    for column in (
        "bounce_recipient",
        "bounce_diagnostic",
        "bounce_action",
        "bounce_status",
        "bounced_at",
    ):
        op.drop_column("deliveries", column)
