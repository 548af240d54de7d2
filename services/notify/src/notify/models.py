"""notify' tables: the outbox, the inbox and the idempotency keys so far."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from careplane_shared.db import new_metadata
from careplane_shared.events import inbox_table, outbox_table
from careplane_shared.idempotency import idempotency_table


class Base(DeclarativeBase):
    metadata = new_metadata()


outbox_events = outbox_table(Base.metadata)
inbox_events = inbox_table(Base.metadata)
idempotency_keys = idempotency_table(Base.metadata)
