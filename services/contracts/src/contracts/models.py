"""Contracts' tables: identity (staff, contacts, API keys), customers and support
centers, products and lifecycles, plans, agreements, the quota ledger, license keys
and billable items. Cross-service references (tickets, events) are plain UUIDs/strings."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from careplane_shared.db import new_metadata
from careplane_shared.events import inbox_table, outbox_table
from careplane_shared.idempotency import idempotency_table


class Base(DeclarativeBase):
    metadata = new_metadata()


outbox_events = outbox_table(Base.metadata)
inbox_events = inbox_table(Base.metadata)
idempotency_keys = idempotency_table(Base.metadata)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), nullable=False
    )


class Customer(TimestampMixin, Base):
    __tablename__ = "customers"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(50))
    timezone: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8), server_default="en")
    standing: Mapped[str] = mapped_column(String(20), server_default="good")
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    support_center_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("support_centers.id", ondelete="SET NULL"), index=True
    )

    contacts: Mapped[list[Contact]] = relationship(back_populates="customer", lazy="raise")


class Contact(TimestampMixin, Base):
    __tablename__ = "contacts"
    __table_args__ = (
        # Sign-in is by email: unique among accounts that are not pending invitations (an
        # invitation to an address taken elsewhere is accepted or refused by its person).
        Index(
            "uq_contacts_email_lower_accepted",
            func.lower(text("email")),
            unique=True,
            postgresql_where=text("NOT pending"),
        ),
        # One row per address within a customer, invitations included.
        Index(
            "uq_contacts_customer_id_email_lower",
            "customer_id",
            func.lower(text("email")),
            unique=True,
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))
    is_admin: Mapped[bool] = mapped_column(Boolean, server_default="false")
    registered: Mapped[bool] = mapped_column(Boolean, server_default="true")
    active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    password_hash: Mapped[str | None] = mapped_column(String(200))
    # Added by a customer: an invitation its person accepts (POST
    # /v1/contacts/invitations/{token}/accept); until then it cannot sign in.
    pending: Mapped[bool] = mapped_column(Boolean, server_default="false")
    invitation_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    invitation_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    customer: Mapped[Customer] = relationship(back_populates="contacts", lazy="raise")


class StaffUser(TimestampMixin, Base):
    __tablename__ = "staff_users"
    __table_args__ = (Index("uq_staff_users_email_lower", func.lower(text("email")), unique=True),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    password_hash: Mapped[str] = mapped_column(String(200))


class ApiKey(Base):
    """An OAuth2 client: ``client_id`` is public, only the secret's SHA-256 is kept."""

    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    client_id: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(100)), server_default="{}")
    customer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SupportCenter(TimestampMixin, Base):
    """Where support comes from, with its own business calendar (seed 000)."""

    __tablename__ = "support_centers"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    regions: Mapped[list[str]] = mapped_column(ARRAY(String(50)), server_default="{}")
    # A CalendarSpec (careplane_shared.sla_policy): timezone, weekly hours, holidays.
    calendar: Mapped[dict[str, Any]] = mapped_column(JSONB)


class Product(TimestampMixin, Base):
    __tablename__ = "products"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)


class MajorVersion(TimestampMixin, Base):
    """GA and EOS are given; EOMS and EOL are derived unless overridden with a reason."""

    __tablename__ = "major_versions"
    __table_args__ = (UniqueConstraint("product_id", "major"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    major: Mapped[int] = mapped_column(Integer)
    ga: Mapped[date] = mapped_column(Date)
    eos: Mapped[date | None] = mapped_column(Date)
    eoms_override: Mapped[date | None] = mapped_column(Date)
    eol_override: Mapped[date | None] = mapped_column(Date)
    override_reason: Mapped[str | None] = mapped_column(Text)
    release_state: Mapped[str] = mapped_column(String(50), server_default="Production")


class Release(TimestampMixin, Base):
    """A minor version (e.g. 2.3) of a major version."""

    __tablename__ = "releases"
    __table_args__ = (UniqueConstraint("major_version_id", "version"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    major_version_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("major_versions.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[str] = mapped_column(String(50))
    release_state: Mapped[str] = mapped_column(String(50), server_default="Production")
    released_on: Mapped[date | None] = mapped_column(Date)


REOPEN_WINDOW_DAYS = 14


class Plan(TimestampMixin, Base):
    """A support offering defined as data: SLA policy, channels, services, contact rule,
    quota, pricing and prerequisites."""

    __tablename__ = "plans"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    sla_policy: Mapped[dict[str, Any]] = mapped_column(JSONB)
    channels: Mapped[list[str]] = mapped_column(ARRAY(String(50)), server_default="{}")
    services: Mapped[list[str]] = mapped_column(ARRAY(String(50)), server_default="{}")
    contact_rule: Mapped[str] = mapped_column(String(30), server_default="unlimited")
    # Which of its customer's cases a plain contact sees: all of them, or its own.
    case_visibility: Mapped[str] = mapped_column(String(20), server_default="customer")
    yearly_quota: Mapped[int | None] = mapped_column(Integer)
    quota_rollover: Mapped[bool] = mapped_column(Boolean, server_default="false")
    when_exhausted: Mapped[str] = mapped_column(String(20), server_default="refuse")
    # A case reopened within this many days of its close gives its quota ticket back.
    reopen_window_days: Mapped[int] = mapped_column(
        Integer, server_default=str(REOPEN_WINDOW_DAYS), default=REOPEN_WINDOW_DAYS
    )
    # Percentages of the license price; null when the plan is not priced that way.
    first_year_percent: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    later_years_percent: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    upgrade_percent: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    prerequisite_plan_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("plans.id", ondelete="RESTRICT")
    )
    active: Mapped[bool] = mapped_column(Boolean, server_default="true")


agreement_products = Table(
    "agreement_products",
    Base.metadata,
    Column("agreement_id", ForeignKey("agreements.id", ondelete="CASCADE"), primary_key=True),
    Column("product_id", ForeignKey("products.id", ondelete="RESTRICT"), primary_key=True),
)


class Agreement(TimestampMixin, Base):
    """One agreement year of a customer on a plan; a renewal is the next row of the chain."""

    __tablename__ = "agreements"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="dates_in_order"),
        CheckConstraint(
            "status IN ('active', 'expired', 'suspended', 'cancelled')", name="known_status"
        ),
        UniqueConstraint("previous_agreement_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plans.id", ondelete="RESTRICT"))
    anchor_date: Mapped[date] = mapped_column(Date)  # first commencement of the chain
    year: Mapped[int] = mapped_column(Integer, server_default="1")
    term_months: Mapped[int] = mapped_column(Integer, server_default="12")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), server_default="active")
    license_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3), server_default="EUR")
    price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    previous_agreement_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("agreements.id", ondelete="SET NULL")
    )
    status_reason: Mapped[str | None] = mapped_column(Text)


class QuotaEntry(Base):
    """Append-only: remaining quota is the sum of an agreement's entries, never a counter."""

    __tablename__ = "quota_entries"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('grant', 'consume', 'reversal', 'rollover_in', 'rollover_out', "
            "'exchange', 'purchase')",
            name="known_kind",
        ),
        UniqueConstraint("idempotency_key"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    agreement_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("agreements.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    amount: Mapped[int] = mapped_column(Integer)
    ticket_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    # An event id or a client's key: the same booking is never made twice.
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


class LicenseKey(TimestampMixin, Base):
    __tablename__ = "license_keys"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'suspended', 'revoked')", name="known_status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id", ondelete="RESTRICT"))
    major_version: Mapped[int] = mapped_column(Integer)
    agreement_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("agreements.id", ondelete="SET NULL"), index=True
    )
    key: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), server_default="active")
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    replaces_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("license_keys.id", ondelete="SET NULL")
    )
    request_ticket_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    status_reason: Mapped[str | None] = mapped_column(Text)


class BillableItem(Base):
    __tablename__ = "billable_items"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('extra_ticket', 'service_request', 'emergency_call', 'onsite_visit', "
            "'other_support', 'upgrade')",
            name="known_kind",
        ),
        # Idempotency keys are each caller's own: replaying another's key records anew.
        UniqueConstraint("recorded_by", "idempotency_key"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    agreement_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("agreements.id", ondelete="SET NULL")
    )
    kind: Mapped[str] = mapped_column(String(30))
    quantity: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    unit: Mapped[str] = mapped_column(String(20))
    minutes_worked: Mapped[int | None] = mapped_column(Integer)
    ticket_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    description: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    # SHA-256 of the request recorded with the key: the key again with another body is refused.
    request_hash: Mapped[str | None] = mapped_column(String(64))
    recorded_by: Mapped[str] = mapped_column(String(320), server_default="")
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


class LoginAttempt(Base):
    """Sign-in attempts per (account, address), per account or per address (``key``,
    digests only), shared by every replica: counted before the password is checked; after
    too many in a window the key is locked for a while that grows with each lockout up to a
    cap; a success takes its attempt back and clears its pair's row."""

    __tablename__ = "login_attempts"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, server_default="0")
    window_started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    lockouts: Mapped[int] = mapped_column(Integer, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class LoginKnownAddress(Base):
    """An address (its limit key) that signed in to an account successfully: a right
    password from there is never refused by the account-wide limit. Digests only."""

    __tablename__ = "login_known_addresses"

    account: Mapped[str] = mapped_column(String(64), primary_key=True)
    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_success_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
