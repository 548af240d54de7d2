"""Tickets' tables for escalations (both meanings, seed 000), the contact attempts of the
escalation path (seed 001) and the customers' priority change requests (seed 002)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from tickets.models import Base


class Escalation(Base):
    """CUSTOMER: the customer is not satisfied; the region's Client Services Manager owns
    the follow-up until it is resolved. INTERNAL: staff handed the case to another team,
    until the team returns it. At most one open escalation of each kind per case."""

    __tablename__ = "escalations"
    __table_args__ = (
        CheckConstraint("kind IN ('CUSTOMER', 'INTERNAL')", name="known_kind"),
        CheckConstraint("kind = 'INTERNAL' OR team IS NULL", name="team_only_internal"),
        Index(
            "uq_escalations_open_kind",
            "ticket_id",
            "kind",
            unique=True,
            postgresql_where=text("resolved_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    ticket_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    team: Mapped[str | None] = mapped_column(String(100))
    # The Client Services Manager who owns a customer's escalation (None when contracts
    # named nobody: the region has no manager, or it could not be asked).
    owner_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    owner_email: Mapped[str | None] = mapped_column(String(320))
    owner_name: Mapped[str | None] = mapped_column(String(200))
    # The status the case had before it was escalated: where it goes back to.
    previous_status: Mapped[str] = mapped_column(String(20))
    opened_by: Mapped[str] = mapped_column(String(320))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[str | None] = mapped_column(String(320))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolution: Mapped[str | None] = mapped_column(Text)


class ContactAttempt(Base):
    """One step of the escalation path email → phone → web conference (seed 001), with
    what came of it."""

    __tablename__ = "contact_attempts"
    __table_args__ = (
        CheckConstraint("channel IN ('EMAIL', 'PHONE', 'WEB_CONFERENCE')", name="known_channel"),
        Index("ix_contact_attempts_ticket_at", "ticket_id", "at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    escalation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("escalations.id", ondelete="SET NULL")
    )
    channel: Mapped[str] = mapped_column(String(20))
    # 1 email, 2 phone, 3 web conference: the place of the channel on the path.
    step: Mapped[int] = mapped_column(Integer)
    # An earlier step of the path had not been tried yet (allowed, and shown).
    skipped_ahead: Mapped[bool] = mapped_column(server_default="false")
    outcome: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    by: Mapped[str] = mapped_column(String(320))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ChangeRequest(Base):
    """A customer asks for another priority (Category I/II/III in seed 002) and says why;
    staff accept or refuse with a reason. At most one pending per case."""

    __tablename__ = "change_requests"
    __table_args__ = (
        CheckConstraint("status IN ('PENDING', 'ACCEPTED', 'REFUSED')", name="known_change_status"),
        Index(
            "uq_change_requests_pending",
            "ticket_id",
            unique=True,
            postgresql_where=text("status = 'PENDING'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    ticket_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    from_priority: Mapped[str | None] = mapped_column(String(30))
    to_priority: Mapped[str] = mapped_column(String(30))
    motivation: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    requested_by: Mapped[str] = mapped_column(String(320))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(320))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_reason: Mapped[str | None] = mapped_column(Text)
