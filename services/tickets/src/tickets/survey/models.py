"""The survey tables: one survey per sampled case, and the contacts who switched surveys
off. Kept in the survey package (not :mod:`tickets.models`): nothing else reads them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, SmallInteger, String, Text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from tickets.models import Base

QUESTIONS = ("resolution", "response_time", "knowledge", "communication", "overall")


def _score(name: str) -> CheckConstraint:
    return CheckConstraint(f"{name} BETWEEN 1 AND 5", name=f"survey_{name}_score")


class Survey(Base):
    """A satisfaction survey offered when its case closed: at most one per case. The
    link's token is not stored: it is signed (:mod:`tickets.survey.tokens`) and names
    this row; ``answered_at`` makes it one-time."""

    __tablename__ = "surveys"
    __table_args__ = (
        *(_score(name) for name in QUESTIONS),
        Index("ix_surveys_contact_invited", "contact_id", "invited_at"),
        Index("ix_surveys_invited", "invited_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    ticket_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), unique=True
    )
    customer_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), index=True)
    contact_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    plan_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    plan_code: Mapped[str | None] = mapped_column(String(50))
    # Who had the case when it closed: the agent the answers speak about.
    agent_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    invited_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    answered_via: Mapped[str | None] = mapped_column(String(10))  # link, api
    resolution: Mapped[int | None] = mapped_column(SmallInteger)
    response_time: Mapped[int | None] = mapped_column(SmallInteger)
    knowledge: Mapped[int | None] = mapped_column(SmallInteger)
    communication: Mapped[int | None] = mapped_column(SmallInteger)
    overall: Mapped[int | None] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(Text)


class SurveyOptOut(Base):
    """A contact who switched surveys off: never sampled again (until it switches them on)."""

    __tablename__ = "survey_opt_outs"

    contact_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    opted_out_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    opted_out_by: Mapped[str] = mapped_column(String(320))
