"""Tickets' tables: cases, their history (the source of every SLA clock), conversation,
attachments and SLA timers; plus the outbox, inbox and idempotency keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Sequence,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from careplane_shared.db import new_metadata
from careplane_shared.events import inbox_table, outbox_table
from careplane_shared.idempotency import idempotency_table


class Base(DeclarativeBase):
    metadata = new_metadata()


outbox_events = outbox_table(Base.metadata)
inbox_events = inbox_table(Base.metadata)
idempotency_keys = idempotency_table(Base.metadata)

# Numbers are never reused and never wait on each other: a sequence, not a counter row.
ticket_number_seq = Sequence("ticket_number_seq", metadata=Base.metadata, start=1)

STATUSES = ("NEW", "OPEN", "WORKING", "PENDING", "ESCALATED", "WITH_DEVELOPMENT", "CLOSED")


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint(
            "status IN ('NEW', 'OPEN', 'WORKING', 'PENDING', 'ESCALATED', 'WITH_DEVELOPMENT', "
            "'CLOSED')",
            name="known_status",
        ),
        CheckConstraint(
            "entitlement_status IN ('entitled', 'pending', 'refused')", name="known_entitlement"
        ),
        Index("ix_tickets_triage", "status", "severity", "next_due_at"),
        Index("ix_tickets_customer_created", "customer_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    contact_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    product_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    version: Mapped[str] = mapped_column(String(50))
    subject: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    error_code: Mapped[str | None] = mapped_column(String(200))
    error_message: Mapped[str | None] = mapped_column(Text)
    steps_to_reproduce: Mapped[str | None] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(30))
    priority: Mapped[str | None] = mapped_column(String(30))
    # 0 = most severe; lets one triage order span plans with different priority names.
    severity: Mapped[int] = mapped_column(Integer, server_default="2")
    language: Mapped[str] = mapped_column(String(8), server_default="en")
    channel: Mapped[str] = mapped_column(String(20))
    external_refs: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    status: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolution: Mapped[str | None] = mapped_column(Text)
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), index=True)
    # What contracts answered when the case was accepted (or "pending" until it answers).
    entitlement_status: Mapped[str] = mapped_column(String(20))
    entitlement: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    sla_policy: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    agreement_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    plan_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), index=True)
    # From the plan: whether a plain contact sees all its customer's cases or only its own.
    case_visibility: Mapped[str] = mapped_column(String(20), server_default="customer")
    plan_code: Mapped[str | None] = mapped_column(String(50))
    support_center: Mapped[str | None] = mapped_column(String(50))
    billable: Mapped[bool] = mapped_column(Boolean, server_default="false")
    scheduled_visit: Mapped[bool] = mapped_column(Boolean, server_default="false")
    # The soonest due time of a running clock: the triage queue's second key.
    next_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # What reading the clocks needs besides the case (tickets.ticket.kept_clocks): kept by
    # every change from the history, so a read needs neither the history nor, once every
    # clock has stopped, the SLA engine.
    sla_clocks: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True))
    opened_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), nullable=False
    )


class TicketEvent(Base):
    """The case's history: who did what, when, from what to what, and why."""

    __tablename__ = "ticket_events"
    __table_args__ = (Index("ix_ticket_events_ticket_seq", "ticket_id", "seq"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    seq: Mapped[int] = mapped_column(
        BigInteger, Sequence("ticket_event_seq", metadata=Base.metadata)
    )
    ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(30))
    actor_id: Mapped[str | None] = mapped_column(String(320))
    actor_kind: Mapped[str] = mapped_column(String(20))
    from_value: Mapped[str | None] = mapped_column(String(100))
    to_value: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    automated: Mapped[bool] = mapped_column(Boolean, server_default="false")
    internal: Mapped[bool] = mapped_column(Boolean, server_default="false")


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_ticket_created", "ticket_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    author_id: Mapped[str | None] = mapped_column(String(320))
    author_kind: Mapped[str] = mapped_column(String(20))  # staff, customer, system
    body: Mapped[str] = mapped_column(Text)
    internal: Mapped[bool] = mapped_column(Boolean, server_default="false")
    automated: Mapped[bool] = mapped_column(Boolean, server_default="false")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    ticket_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(200))
    size: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    storage_key: Mapped[str | None] = mapped_column(String(500))
    link_url: Mapped[str | None] = mapped_column(Text)
    uploaded_by: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


class SlaTimer(Base):
    """One future instant at which a clock warns or breaches; claimed with SKIP LOCKED."""

    __tablename__ = "sla_timers"
    __table_args__ = (
        UniqueConstraint("ticket_id", "metric", "cycle", "kind"),
        Index("ix_sla_timers_due", "fire_at", postgresql_where=text("fired_at IS NULL")),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    metric: Mapped[str] = mapped_column(String(30))
    cycle: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))  # warning, breach
    fire_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    fired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
