"""The transactional outbox: events written in the caller's transaction, one row per
destination that wants the event's type, for the relay to post once that transaction has
committed."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID, insert
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.event_filters import destinations_for
from careplane_shared.events.envelope import CloudEvent, new_event
from careplane_shared.events.wakeup import mark_written


def outbox_table(metadata: MetaData) -> Table:
    table = Table(
        "outbox_events",
        metadata,
        Column("id", UUID(as_uuid=True), nullable=False),
        Column("destination", String(64), nullable=False),
        Column("type", String(200), nullable=False),
        Column("envelope", JSONB, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("available_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("attempts", Integer, nullable=False, server_default="0"),
        Column("locked_until", DateTime(timezone=True)),
        Column("locked_by", String(200)),
        Column("delivered_at", DateTime(timezone=True)),
        Column("last_error", Text),
        PrimaryKeyConstraint("id", "destination"),
    )
    Index(
        "ix_outbox_events_pending",
        table.c.available_at,
        postgresql_where=table.c.delivered_at.is_(None),
    )
    return table


class Outbox:
    """Writes events in the caller's transaction, one row per destination that wants the
    event's type (``event_types``, see :mod:`careplane_shared.event_filters`: a destination
    without a filter gets every event); the relays of this process are woken when that
    transaction commits. An event no destination wants writes nothing."""

    def __init__(
        self,
        table: Table,
        source: str,
        destinations: Mapping[str, str],
        event_types: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.table = table
        self.source = source
        self.destinations = dict(destinations)
        self.event_types = {d: tuple(p) for d, p in (event_types or {}).items()}

    async def emit(
        self,
        session: AsyncSession,
        type: str,
        data: Mapping[str, Any],
        *,
        subject: str | None = None,
    ) -> CloudEvent:
        event = new_event(type=type, source=self.source, data=data, subject=subject)
        targets = destinations_for(type, self.destinations, self.event_types)
        if targets:
            envelope = event.model_dump(mode="json", exclude_none=True)
            await session.execute(
                insert(self.table),
                [
                    {
                        "id": uuid.UUID(event.id),
                        "destination": d,
                        "type": type,
                        "envelope": envelope,
                    }
                    for d in targets
                ],
            )
            mark_written(session.info, self.table)
        return event
