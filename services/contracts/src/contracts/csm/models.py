"""Who is the Client Services Manager of each region: the staff account a customer's
escalation goes to (seed 000: "ask for the region's Client Services Manager")."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, func
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from contracts.models import Base


class ClientServicesManager(Base):
    """One row per region (the region string customers carry, e.g. ``EMEA``)."""

    __tablename__ = "client_services_managers"

    region: Mapped[str] = mapped_column(String(50), primary_key=True)
    staff_user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), nullable=False
    )
