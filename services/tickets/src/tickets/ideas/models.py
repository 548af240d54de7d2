"""The ideas' tables: ideas, their votes (one per contact), the cases that asked for them,
and the routing decision of each feature-request case."""

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
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from tickets.models import Base


class Idea(Base):
    """A suggestion for every user, kept for development until it ships."""

    __tablename__ = "ideas"
    __table_args__ = (
        CheckConstraint("status IN ('OPEN', 'PLANNED', 'SHIPPED')", name="known_idea_status"),
        Index("ix_ideas_status_created", "status", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    product_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), index=True)
    status: Mapped[str] = mapped_column(String(20), server_default="OPEN")
    # Public ideas are shown to every customer's contacts; others to staff only.
    public: Mapped[bool] = mapped_column(Boolean, server_default="true")
    planned_version: Mapped[str | None] = mapped_column(String(50))
    shipped_version: Mapped[str | None] = mapped_column(String(50))
    shipped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), nullable=False
    )


class IdeaVote(Base):
    """One contact's vote: the primary key makes a second vote impossible."""

    __tablename__ = "idea_votes"

    idea_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ideas.id", ondelete="CASCADE"), primary_key=True
    )
    contact_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


class IdeaCase(Base):
    """A case that asked for the idea; its requester is told when the idea ships."""

    __tablename__ = "idea_cases"

    ticket_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    idea_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ideas.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    customer_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    linked_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


class FeatureRequestRoute(Base):
    """Where a feature-request case went: once per case."""

    __tablename__ = "feature_request_routes"
    __table_args__ = (
        CheckConstraint("route IN ('sales', 'development')", name="known_feature_route"),
    )

    ticket_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    route: Mapped[str] = mapped_column(String(20))
    idea_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ideas.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)
    routed_by: Mapped[str] = mapped_column(String(320))
    routed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
