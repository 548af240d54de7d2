"""secrets encrypted at rest: room for sealed webhook secrets and chat webhook URLs

Revision ID: 5e1a7c0d9b42
Revises: 28f9f5d56e09
Create Date: 2026-12-03 14:20:00.000000+00:00

The values are sealed by the application (notify.encryption), which holds the keys: rows
written before stay readable as plaintext and are sealed by the first start with workers,
or by ``python -m notify.rotate_keys``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e1a7c0d9b42"
down_revision: str | None = "28f9f5d56e09"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.alter_column("webhook_endpoints", "secret", type_=sa.Text(), existing_nullable=False)
    op.alter_column("webhook_endpoints", "previous_secret", type_=sa.Text(), existing_nullable=True)
    op.alter_column("chat_channels", "webhook_url", type_=sa.Text(), existing_nullable=False)


def downgrade() -> None:
    # Sealed values stay sealed (only the application has the keys); a sealed chat URL
    # longer than the old limit makes this fail rather than cut it.
    op.alter_column("chat_channels", "webhook_url", type_=sa.String(2000), existing_nullable=False)
    op.alter_column(
        "webhook_endpoints", "previous_secret", type_=sa.String(200), existing_nullable=True
    )
    op.alter_column("webhook_endpoints", "secret", type_=sa.String(200), existing_nullable=False)
