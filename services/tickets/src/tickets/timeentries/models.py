"""Time entries: who worked how long on a case, at what, and whether the customer pays."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from tickets.models import Base


class TimeEntry(Base):
    """``billed_at`` is set when the entry was sent to contracts as a billable item: from
    then on it is part of an invoice and no longer changes."""

    __tablename__ = "time_entries"
    __table_args__ = (
        CheckConstraint("minutes BETWEEN 1 AND 1440", name="time_entry_minutes"),
        Index("ix_time_entries_ticket_worked", "ticket_id", "worked_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    customer_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    agent_id: Mapped[str] = mapped_column(String(320))
    agent_email: Mapped[str | None] = mapped_column(String(320))
    minutes: Mapped[int] = mapped_column(Integer)
    activity: Mapped[str] = mapped_column(String(30))
    billable: Mapped[bool] = mapped_column(Boolean, server_default="false")
    # For a billable entry: the minutes billed (started half hours).
    billed_minutes: Mapped[int | None] = mapped_column(Integer)
    billed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    worked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), nullable=False
    )
