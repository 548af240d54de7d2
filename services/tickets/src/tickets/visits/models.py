"""Scheduled customer visits, emergencies and the on-call rota: tickets' tables for
seed 001's visits and seeds 001/003's emergencies (docs/visits-and-emergencies.md)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from tickets.models import Base

VISIT_STATUSES = ("REQUESTED", "CONFIRMED", "CANCELLED")


class Visit(Base):
    """A customer's visit to its own site or customer, booked at least two days ahead;
    while a CONFIRMED one runs, the customer's new cases get the visit target."""

    __tablename__ = "visits"
    __table_args__ = (
        CheckConstraint(
            "status IN ('REQUESTED', 'CONFIRMED', 'CANCELLED')", name="known_visit_status"
        ),
        CheckConstraint("ends_at > starts_at", name="visit_ends_after_start"),
        Index("ix_visits_customer_window", "customer_id", "starts_at", "ends_at"),
        # What the start worker claims: confirmed visits whose start was not announced.
        Index(
            "ix_visits_unannounced",
            "starts_at",
            postgresql_where=text("status = 'CONFIRMED' AND started_event_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    customer_name: Mapped[str | None] = mapped_column(String(200))
    support_center: Mapped[str | None] = mapped_column(String(50))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20))
    purpose: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(300))
    requested_by: Mapped[str] = mapped_column(String(320))
    booked_by: Mapped[str | None] = mapped_column(String(320))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_by: Mapped[str | None] = mapped_column(String(320))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    started_event_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


class Emergency(Base):
    """A case declared an emergency: one per case, with who was alerted and whether the
    plan bills the call."""

    __tablename__ = "emergencies"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    ticket_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), unique=True
    )
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    support_center: Mapped[str | None] = mapped_column(String(50))
    reason: Mapped[str] = mapped_column(Text)
    declared_by: Mapped[str] = mapped_column(String(320))
    declared_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    billable: Mapped[bool] = mapped_column(Boolean)
    billed_agreement_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    alerted: Mapped[list[str]] = mapped_column(JSONB, server_default="[]")


class OnCallShift(Base):
    """Who is on call for a support center from when to when (instants; shown in the
    center's own timezone)."""

    __tablename__ = "oncall_shifts"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="shift_ends_after_start"),
        Index("ix_oncall_shifts_center_window", "support_center", "starts_at", "ends_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    support_center: Mapped[str] = mapped_column(String(50))
    staff_email: Mapped[str] = mapped_column(String(320))
    staff_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
