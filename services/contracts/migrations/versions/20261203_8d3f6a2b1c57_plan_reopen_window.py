"""plan reopen window

Revision ID: 8d3f6a2b1c57
Revises: 5c1d2e3f4a6b
Create Date: 2026-12-03 20:00:00.000000+00:00

``plans.reopen_window_days``: a case reopened within this many days of its close gives its
quota ticket back (the reversal); later, the ticket stays used. Existing plans get 14.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8d3f6a2b1c57"
down_revision: str | None = "5c1d2e3f4a6b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "plans",
        sa.Column("reopen_window_days", sa.Integer(), server_default="14", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("plans", "reopen_window_days")
