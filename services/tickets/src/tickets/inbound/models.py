"""Tables of the mail intake: every raw message as it arrived, the quarantine, and the
automatic answers sent (for loop protection and the once-a-day unknown-sender answer)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from tickets.models import Base

PENDING = "RECEIVED"  # the status of a mail waiting for the intake
INBOUND_STATUSES = (PENDING, "DONE", "QUARANTINED", "FAILED")
QUARANTINE_STATUSES = ("HELD", "RELEASED", "REJECTED")


class InboundMessage(Base):
    """A message exactly as it arrived, committed before the sender is told 250 (or 202).
    The intake worker claims RECEIVED rows with a lease (SKIP LOCKED) and records what it
    did with each."""

    __tablename__ = "inbound_messages"
    __table_args__ = (
        CheckConstraint(
            "status IN ('RECEIVED', 'DONE', 'QUARANTINED', 'FAILED')", name="known_status"
        ),
        Index(
            "ix_inbound_messages_pending",
            "received_at",
            postgresql_where=text("status = 'RECEIVED'"),
        ),
        Index("ix_inbound_messages_sender", "from_address", "received_at"),
        Index("ix_inbound_messages_domain", "from_domain", "received_at"),
        Index("ix_inbound_messages_ticket_message", "ticket_message_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    source: Mapped[str] = mapped_column(String(10))  # smtp, api
    mail_from: Mapped[str | None] = mapped_column(String(320))
    rcpt_to: Mapped[list[str]] = mapped_column(JSONB, server_default="[]")
    size: Mapped[int] = mapped_column(Integer)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(20), server_default=PENDING)
    outcome: Mapped[str | None] = mapped_column(String(30))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    message_id: Mapped[str | None] = mapped_column(String(500))
    from_address: Mapped[str | None] = mapped_column(String(320))
    from_domain: Mapped[str | None] = mapped_column(String(255))
    subject: Mapped[str | None] = mapped_column(String(1000))
    ticket_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    ticket_message_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)


class QuarantinedMail(Base):
    """A mail the intake would not thread or open on its own; staff release or reject it."""

    __tablename__ = "inbound_quarantine"
    __table_args__ = (
        CheckConstraint("status IN ('HELD', 'RELEASED', 'REJECTED')", name="known_status"),
        CheckConstraint(
            "reason IN ('FOREIGN_SENDER', 'UNVERIFIED_SENDER', 'MALFORMED')", name="known_reason"
        ),
        Index("ix_inbound_quarantine_status", "status", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    inbound_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("inbound_messages.id", ondelete="CASCADE"), unique=True
    )
    reason: Mapped[str] = mapped_column(String(30))
    ticket_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    ticket_number: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), server_default="HELD")
    decided_by: Mapped[str | None] = mapped_column(String(320))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class AutoAnswer(Base):
    """An automatic answer Careplane had notify send to an address (kind: ``ack`` for the
    case-number mail, ``unknown_sender``), counted against the hourly and daily limits."""

    __tablename__ = "inbound_auto_answers"
    __table_args__ = (Index("ix_inbound_auto_answers_address", "address", "kind", "at"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    address: Mapped[str] = mapped_column(String(320))
    kind: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
