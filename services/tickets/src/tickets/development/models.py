"""A case's link to the development tracker: the issue it was handed over as, and the fix
development reported."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tickets.models import Base


class DevelopmentLink(Base):
    """One per case; several cases may name the same issue (one defect, many customers)."""

    __tablename__ = "development_links"

    ticket_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    issue_key: Mapped[str] = mapped_column(String(100), index=True)
    issue_url: Mapped[str] = mapped_column(Text)
    handed_by: Mapped[str] = mapped_column(String(320))
    handed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    fixed_version: Mapped[str | None] = mapped_column(String(50))
    fixed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    fix_note: Mapped[str | None] = mapped_column(Text)
    fixed_by: Mapped[str | None] = mapped_column(String(320))
