"""ticket kept sla clocks

Revision ID: 740194605c20
Revises: 6cee9878eac8
Create Date: 2026-12-03 17:00:00.000000+00:00

``tickets.sla_clocks`` keeps what reading a case's clocks needs besides the case
(tickets.ticket.kept_clocks, format 1): the priority at receipt and the history's events
that move clocks. Existing cases get it from their history here, as the application builds
it (``clocks.initial_priority`` and ``clocks.sla_events``); the settled clocks of closed
cases are kept by their next change, until then computed on read.

Deploying: a replica of the previous release changes cases without keeping this, so a case
it changes reads without that change's clock events until its next change by this release.
Drain the previous release before serving (or run BACKFILL again for the cases it changed,
after setting their ``sla_clocks`` to NULL).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "740194605c20"
down_revision: str | None = "6cee9878eac8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The priority at receipt: before the first priority change, else the case's own; the
# events: replies, and status and priority changes that name what they changed to.
BACKFILL = """
UPDATE tickets AS t
SET sla_clocks = jsonb_build_object(
    'format', 1,
    'as_of', now(),
    'priority', CASE
        WHEN EXISTS (
            SELECT 1 FROM ticket_events AS e
            WHERE e.ticket_id = t.id AND e.kind = 'PRIORITY_CHANGE'
        )
        THEN (
            SELECT to_jsonb(e.from_value) FROM ticket_events AS e
            WHERE e.ticket_id = t.id AND e.kind = 'PRIORITY_CHANGE'
            ORDER BY e.seq LIMIT 1
        )
        ELSE to_jsonb(t.priority)
    END,
    'events', COALESCE(
        (
            SELECT jsonb_agg(
                jsonb_strip_nulls(
                    jsonb_build_object(
                        'at', e.at,
                        'kind', e.kind,
                        'status', CASE WHEN e.kind = 'STATUS_CHANGE' THEN e.to_value END,
                        'priority', CASE WHEN e.kind = 'PRIORITY_CHANGE' THEN e.to_value END,
                        'automated', CASE WHEN e.automated THEN true END,
                        'internal', CASE WHEN e.internal THEN true END
                    )
                )
                ORDER BY e.seq
            )
            FROM ticket_events AS e
            WHERE e.ticket_id = t.id
              AND (
                  e.kind IN ('STAFF_REPLY', 'CUSTOMER_REPLY')
                  OR (
                      e.kind IN ('STATUS_CHANGE', 'PRIORITY_CHANGE')
                      AND e.to_value IS NOT NULL
                      AND e.to_value <> ''
                  )
              )
        ),
        '[]'::jsonb
    )
)
WHERE t.sla_clocks IS NULL
"""


def upgrade() -> None:
    op.add_column(
        "tickets", sa.Column("sla_clocks", postgresql.JSONB(astext_type=sa.Text()), nullable=True)
    )
    op.execute(BACKFILL)


def downgrade() -> None:
    op.drop_column("tickets", "sla_clocks")
