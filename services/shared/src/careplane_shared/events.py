"""CloudEvents 1.0 envelopes, the transactional outbox, its relay and the idempotent inbox.

Each service calls :func:`outbox_table` / :func:`inbox_table` on its own metadata, so
the tables live in the service's own database and migrations; this library owns none.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import structlog
from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field
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
    and_,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from careplane_shared.auth import ServicePrincipal
from careplane_shared.db import DbSession

log = structlog.get_logger(__name__)

CLOUDEVENTS_CONTENT_TYPE = "application/cloudevents+json"


class CloudEvent(BaseModel):
    """A CloudEvents 1.0 envelope in structured JSON mode."""

    model_config = ConfigDict(extra="allow")

    specversion: str = Field(default="1.0", pattern=r"^1\.0$")
    id: str = Field(min_length=1, max_length=200)
    source: str = Field(min_length=1, max_length=200)
    type: str = Field(min_length=1, max_length=200)
    subject: str | None = Field(default=None, max_length=200)
    time: datetime | None = None
    datacontenttype: str | None = "application/json"
    data: Any = None


def new_event(
    *, type: str, source: str, data: Mapping[str, Any], subject: str | None = None
) -> CloudEvent:
    return CloudEvent(
        id=str(uuid.uuid4()),
        source=source,
        type=type,
        subject=subject,
        time=datetime.now(UTC),
        data=dict(data),
    )


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


def inbox_table(metadata: MetaData) -> Table:
    return Table(
        "inbox_events",
        metadata,
        Column("source", String(200), nullable=False),
        Column("id", String(200), nullable=False),
        Column("type", String(200), nullable=False),
        Column("envelope", JSONB, nullable=False),
        Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        PrimaryKeyConstraint("source", "id"),
    )


class Outbox:
    """Writes events in the caller's transaction, one row per destination."""

    def __init__(self, table: Table, source: str, destinations: Mapping[str, str]) -> None:
        self.table = table
        self.source = source
        self.destinations = dict(destinations)

    async def emit(
        self,
        session: AsyncSession,
        type: str,
        data: Mapping[str, Any],
        *,
        subject: str | None = None,
    ) -> CloudEvent:
        event = new_event(type=type, source=self.source, data=data, subject=subject)
        if self.destinations:
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
                    for d in self.destinations
                ],
            )
        return event


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with full jitter: 1 s, 2 s, 4 s ... capped at 5 minutes."""
    ceiling = min(300.0, float(2 ** max(attempts - 1, 0)))
    return ceiling / 2 + random.random() * ceiling / 2


class OutboxRelay:
    """Claims pending rows (``FOR UPDATE SKIP LOCKED`` + lease), posts them, records the outcome.

    Any number of relays cooperate; a relay that dies holds its rows only until the lease
    ends, after which another picks them up. Receivers dedupe by event id, so a row
    delivered twice (crash after the post, before the mark) is harmless.
    """

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        table: Table,
        client: httpx.AsyncClient,
        destinations: Mapping[str, str],
        *,
        batch_size: int = 50,
        lease_seconds: int = 30,
        poll_seconds: float = 0.5,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.table = table
        self.client = client
        self.destinations = dict(destinations)
        self.batch_size = batch_size
        self.lease = timedelta(seconds=lease_seconds)
        self.poll_seconds = poll_seconds
        self.worker_id = f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"

    async def _claim(self) -> list[Any]:
        t = self.table
        now = func.now()
        async with self.sessionmaker() as session, session.begin():
            claimable = (
                select(t.c.id, t.c.destination)
                .where(
                    t.c.delivered_at.is_(None),
                    t.c.available_at <= now,
                    or_(t.c.locked_until.is_(None), t.c.locked_until < now),
                )
                .order_by(t.c.available_at)
                .limit(self.batch_size)
                .with_for_update(skip_locked=True)
                .cte("claimable")
            )
            result = await session.execute(
                update(t)
                .where(and_(t.c.id == claimable.c.id, t.c.destination == claimable.c.destination))
                .values(
                    locked_until=now
                    + text(f"interval '{int(self.lease.total_seconds())} seconds'"),
                    locked_by=self.worker_id,
                    attempts=t.c.attempts + 1,
                )
                .returning(t.c.id, t.c.destination, t.c.envelope, t.c.attempts)
            )
            return list(result.all())

    async def _deliver(self, row: Any) -> tuple[Any, str | None]:
        url = self.destinations.get(row.destination)
        if url is None:
            return row, f"no URL configured for destination {row.destination!r}"
        try:
            response = await self.client.post(
                url,
                json=row.envelope,
                headers={
                    "content-type": CLOUDEVENTS_CONTENT_TYPE,
                    "idempotency-key": str(row.id),
                },
            )
        except httpx.HTTPError as exc:
            return row, f"{type(exc).__name__}: {exc}"
        if response.status_code >= 300:
            return row, f"HTTP {response.status_code}: {response.text[:500]}"
        return row, None

    async def _record(self, outcomes: list[tuple[Any, str | None]]) -> None:
        t = self.table
        async with self.sessionmaker() as session, session.begin():
            for row, error in outcomes:
                mine = and_(
                    t.c.id == row.id,
                    t.c.destination == row.destination,
                    t.c.locked_by == self.worker_id,
                )
                if error is None:
                    values: dict[str, Any] = {"delivered_at": func.now(), "last_error": None}
                else:
                    delay = backoff_seconds(row.attempts)
                    values = {
                        "available_at": func.now() + timedelta(seconds=delay),
                        "last_error": error[:2000],
                    }
                    log.warning(
                        "outbox_delivery_failed",
                        event_id=str(row.id),
                        destination=row.destination,
                        attempts=row.attempts,
                        retry_in_s=round(delay, 1),
                        error=error[:200],
                    )
                await session.execute(
                    update(t).where(mine).values(locked_until=None, locked_by=None, **values)
                )

    async def run_once(self) -> int:
        """One claim-deliver-record round; returns how many rows it handled."""
        rows = await self._claim()
        if not rows:
            return 0
        outcomes = await asyncio.gather(*(self._deliver(row) for row in rows))
        await self._record(list(outcomes))
        return len(rows)

    async def run_forever(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                handled = await self.run_once()
            except Exception:
                log.exception("outbox_relay_error")
                handled = 0
            if handled < self.batch_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.poll_seconds)


EventHandler = Callable[[AsyncSession, CloudEvent], Awaitable[None]]


class Inbox:
    """Accepts each event once (by source and id) and runs its handler in the same transaction."""

    def __init__(self, table: Table, *, default: EventHandler | None = None) -> None:
        """``default`` handles every type without a handler of its own (a router that
        routes by data rather than by type, as notify's does)."""
        self.table = table
        self.handlers: dict[str, EventHandler] = {}
        self.default = default

    def handler(self, event_type: str) -> Callable[[EventHandler], EventHandler]:
        def register(fn: EventHandler) -> EventHandler:
            self.handlers[event_type] = fn
            return fn

        return register

    async def accept(self, session: AsyncSession, event: CloudEvent) -> bool:
        """True if the event is new (and was handled), False if it was seen before."""
        inserted = await session.execute(
            insert(self.table)
            .values(
                source=event.source,
                id=event.id,
                type=event.type,
                envelope=event.model_dump(mode="json", exclude_none=True),
            )
            .on_conflict_do_nothing(index_elements=["source", "id"])
            .returning(self.table.c.id)
        )
        if inserted.first() is None:
            return False
        handler = self.handlers.get(event.type, self.default)
        if handler is not None:
            await handler(session, event)
        return True


class InboxAck(BaseModel):
    id: str
    accepted: bool = Field(description="False when the event had been received before.")


def inbox_router(inbox: Inbox) -> APIRouter:
    """``POST /v1/events`` for a service: only other services (role SERVICE) may post."""
    router = APIRouter(tags=["events"])

    @router.post(
        "/v1/events",
        response_model=InboxAck,
        summary="Receive a CloudEvent from another service's outbox (idempotent by source and id).",
    )
    async def receive_event(
        event: CloudEvent, session: DbSession, _: ServicePrincipal, response: Response
    ) -> InboxAck:
        """Accepting an event and acting on it happen in one transaction; a repeat of the
        same event is acknowledged (200) without being handled again."""
        accepted = await inbox.accept(session, event)
        response.status_code = 202 if accepted else 200
        return InboxAck(id=event.id, accepted=accepted)

    return router
