"""notify's tables: webhook endpoints, chat channels, the delivery queue with its append-only
attempt log, the mails we composed, lifecycle announcement schedules and their recipients,
maintenance windows, contact preferences and case watchers, the staff digest; plus the
outbox, the inbox and the idempotency keys."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from careplane_shared.db import new_metadata
from careplane_shared.events import inbox_table, outbox_table
from careplane_shared.idempotency import idempotency_table


class Base(DeclarativeBase):
    metadata = new_metadata()


outbox_events = outbox_table(Base.metadata)
inbox_events = inbox_table(Base.metadata)
idempotency_keys = idempotency_table(Base.metadata)

# "bounced": a mail the server took came back as undeliverable (notify.mail_events.bounces).
DELIVERY_STATUSES = ("pending", "delivering", "succeeded", "failed", "dead", "bounced")
CHANNEL_KINDS = ("email", "webhook", "slack", "teams", "mattermost", "discord", "google_chat")
CHAT_KINDS = CHANNEL_KINDS[2:]
# "sending": claimed by a worker that is fetching its recipients under a lease.
ANNOUNCEMENT_STATUSES = ("scheduled", "sending", "sent", "superseded", "cancelled")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class WebhookEndpoint(Base):
    """An integration's receiver: global (no customer) or one customer's own."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index("ix_webhook_endpoints_customer", "customer_id"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str | None] = mapped_column(String(500))
    # "*" subscribes to every type.
    event_types: Mapped[list[str]] = mapped_column(ARRAY(String(200)))
    # The HMAC key must be usable to sign, so it is stored encrypted (never hashed):
    # ``fernet:<token>`` of the whsec_<base64> as issued, see notify.encryption.
    secret: Mapped[str] = mapped_column(Text)
    previous_secret: Mapped[str | None] = mapped_column(Text)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    disabled_reason: Mapped[str | None] = mapped_column(String(500))
    # Since when every delivery has failed (reset by a success): auto-disable after days.
    failing_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class ChatChannel(Base):
    """A chat tool's incoming webhook and the event types it wants."""

    __tablename__ = "chat_channels"
    __table_args__ = (CheckConstraint(_in("kind", CHAT_KINDS), name="known_kind"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    # A credential of its own (anyone holding it posts into the channel): stored encrypted,
    # ``fernet:<token>``, see notify.encryption.
    webhook_url: Mapped[str] = mapped_column(Text)
    event_types: Mapped[list[str]] = mapped_column(ARRAY(String(200)))
    customer_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    disabled_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Delivery(Base):
    """One message to one target; the queue row and the record at once.

    ``target`` names where it goes in a stable way (``webhook:<id>``, ``contact:<id>``,
    ``staff:<address>``, ``slack:<id>`` ...); with the event id it is unique, so a repeated
    intake can never create a second delivery."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "target"),
        CheckConstraint(_in("status", DELIVERY_STATUSES), name="known_status"),
        CheckConstraint(_in("channel", CHANNEL_KINDS), name="known_channel"),
        Index(
            "ix_deliveries_due",
            "next_attempt_at",
            postgresql_where=text("status IN ('pending', 'delivering')"),
        ),
        Index("ix_deliveries_status_created", "status", "created_at"),
        Index("ix_deliveries_customer_created", "customer_id", "created_at"),
        Index("ix_deliveries_endpoint", "endpoint_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    channel: Mapped[str] = mapped_column(String(20))
    target: Mapped[str] = mapped_column(String(300))
    # The webhook endpoint or chat channel this goes to, when it is one of those.
    endpoint_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    customer_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    event_id: Mapped[str] = mapped_column(String(200))
    event_source: Mapped[str] = mapped_column(String(200))
    event_type: Mapped[str] = mapped_column(String(200))
    event_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # What the channel needs to render the message (the event's data, a template name...).
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(20), server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    # Position in the retry schedule; a resend starts the schedule again.
    schedule_step: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    locked_by: Mapped[str | None] = mapped_column(String(200))
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A mail's latest bounce, as tickets' mail listener read it (notify.mail_events.bounces).
    bounced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    bounce_status: Mapped[str | None] = mapped_column(String(32))
    bounce_action: Mapped[str | None] = mapped_column(String(32))
    bounce_diagnostic: Mapped[str | None] = mapped_column(Text)
    bounce_recipient: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class DeliveryAttempt(Base):
    """What happened on one try. Rows are only ever inserted."""

    __tablename__ = "delivery_attempts"
    __table_args__ = (Index("ix_delivery_attempts_delivery", "delivery_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    delivery_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("deliveries.id", ondelete="CASCADE")
    )
    attempt: Mapped[int] = mapped_column(Integer)
    worker: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    duration_ms: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(20))
    status_code: Mapped[int | None] = mapped_column(Integer)
    response_excerpt: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    retry_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class MailMessage(Base):
    """A mail as composed for one delivery: kept so retries resend the same Message-ID and
    anyone can see what a customer was sent."""

    __tablename__ = "mail_messages"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    delivery_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("deliveries.id", ondelete="CASCADE"), unique=True
    )
    message_id: Mapped[str] = mapped_column(String(300), index=True)
    in_reply_to: Mapped[str | None] = mapped_column(String(300))
    references: Mapped[str | None] = mapped_column(Text)
    from_address: Mapped[str] = mapped_column(String(300))
    to_addresses: Mapped[list[str]] = mapped_column(ARRAY(String(300)))
    subject: Mapped[str] = mapped_column(String(500))
    language: Mapped[str] = mapped_column(String(8))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    ticket_number: Mapped[str | None] = mapped_column(String(40), index=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Announcement(Base):
    """A lifecycle milestone to be announced to the affected customers (docs/domain.md
    section 1: EOS, EOMS and EOL no later than 6 months before the date). A moved date
    supersedes the planned row and plans a new one."""

    __tablename__ = "announcements"
    __table_args__ = (
        CheckConstraint(_in("status", ANNOUNCEMENT_STATUSES), name="known_status"),
        Index("ix_announcements_due", "announce_at", postgresql_where=text("status = 'scheduled'")),
        Index("ix_announcements_version", "product_id", "major", "milestone"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    product_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    product_name: Mapped[str] = mapped_column(String(200))
    major: Mapped[int] = mapped_column(Integer)
    milestone: Mapped[str] = mapped_column(String(10))
    milestone_date: Mapped[date] = mapped_column(Date)
    previous_date: Mapped[date | None] = mapped_column(Date)
    announce_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20), server_default="scheduled")
    event_id: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The fan-out to customers: claimed with a lease like a delivery, retried when contracts
    # does not answer.
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    locked_by: Mapped[str | None] = mapped_column(String(200))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)


class AnnouncementRecipient(Base):
    """Proof per customer: who was addressed, in which language, by which delivery (whose
    record says when the mail went out, and ``mail_messages`` what it said)."""

    __tablename__ = "announcement_recipients"
    __table_args__ = (
        UniqueConstraint("announcement_id", "customer_id"),
        Index("ix_announcement_recipients_customer", "customer_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    announcement_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("announcements.id", ondelete="CASCADE")
    )
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    customer_name: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8))
    to_addresses: Mapped[list[str]] = mapped_column(ARRAY(String(300)))
    # None when the customer has no contact to write to (kept: the gap is on record too).
    delivery_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("deliveries.id")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


MAINTENANCE_KINDS = ("scheduled", "unscheduled")


class MaintenanceWindow(Base):
    """Planned or unplanned downtime announced by email with an iCalendar attachment whose
    UID stays the same for the window's life; every change raises ``sequence``."""

    __tablename__ = "maintenance_windows"
    __table_args__ = (
        CheckConstraint(_in("kind", MAINTENANCE_KINDS), name="known_kind"),
        CheckConstraint(_in("status", ("scheduled", "cancelled")), name="known_status"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_maintenance_windows_starts", "starts_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    uid: Mapped[str] = mapped_column(String(300), unique=True)
    sequence: Mapped[int] = mapped_column(Integer, server_default="0")
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    product_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    # As asked for: None means every customer with an active agreement (on the product).
    customer_ids: Mapped[list[uuid.UUID] | None] = mapped_column(ARRAY(UUID(as_uuid=True)))
    status: Mapped[str] = mapped_column(String(20), server_default="scheduled")
    # The DTSTAMP of the current sequence's calendar object.
    stamped_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_by: Mapped[str | None] = mapped_column(String(200))
    cancel_reason: Mapped[str | None] = mapped_column(String(2000))


class MaintenanceRecipient(Base):
    """One affected customer of a window: who got the notice, and the cancellation."""

    __tablename__ = "maintenance_recipients"
    __table_args__ = (
        UniqueConstraint("window_id", "customer_id"),
        Index("ix_maintenance_recipients_customer", "customer_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    window_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("maintenance_windows.id", ondelete="CASCADE")
    )
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    customer_name: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8))
    timezone: Mapped[str] = mapped_column(String(64))
    to_addresses: Mapped[list[str]] = mapped_column(ARRAY(String(300)))
    delivery_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("deliveries.id")
    )
    cancel_delivery_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("deliveries.id")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ContactPreference(Base):
    """The mail categories a contact opted out of (essential notices cannot be)."""

    __tablename__ = "contact_preferences"

    contact_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    opted_out: Mapped[list[str]] = mapped_column(ARRAY(String(50)), server_default="{}")
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class TicketWatcher(Base):
    """A contact of the case's customer following it besides the requester."""

    __tablename__ = "ticket_watchers"

    ticket_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    contact_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    email: Mapped[str] = mapped_column(String(300))
    added_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class StaffDigestSettings(Base):
    """Quiet hours and the digest interval for staff mail that is not urgent (one row)."""

    __tablename__ = "staff_digest_settings"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    timezone: Mapped[str] = mapped_column(String(64))
    quiet_start: Mapped[time | None] = mapped_column(Time)
    quiet_end: Mapped[time | None] = mapped_column(Time)
    digest_minutes: Mapped[int] = mapped_column(Integer, server_default="0")
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class DigestItem(Base):
    """A staff mail held for the next digest; ``delivery_id`` is the digest that carried it."""

    __tablename__ = "digest_items"
    __table_args__ = (
        UniqueConstraint("event_id", "address"),
        Index("ix_digest_items_due", "release_at", postgresql_where=text("delivery_id IS NULL")),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    address: Mapped[str] = mapped_column(String(300))
    event_id: Mapped[str] = mapped_column(String(200))
    event_type: Mapped[str] = mapped_column(String(200))
    event_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    template: Mapped[str] = mapped_column(String(100))
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    release_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    delivery_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("deliveries.id")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


# Core-level handles for the hot paths (bulk inserts and updates in the worker and router).
deliveries_table = cast(Table, Delivery.__table__)
delivery_attempts_table = cast(Table, DeliveryAttempt.__table__)
mail_messages_table = cast(Table, MailMessage.__table__)
