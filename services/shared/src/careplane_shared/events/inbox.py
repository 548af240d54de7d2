"""The idempotent inbox: ``POST /v1/events`` takes one structured CloudEvent or a batch of
them, keeps each event once (by source and id) and runs its handler in the same
transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Body, Request, Response
from opentelemetry.trace import Tracer
from pydantic import BaseModel, Field
from sqlalchemy import (
    Column,
    DateTime,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    bindparam,
    cast,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.dml import ReturningInsert

from careplane_shared.auth import ServicePrincipal
from careplane_shared.db import get_database
from careplane_shared.errors import CareplaneError
from careplane_shared.events.envelope import CloudEvent, OneOrBatch
from careplane_shared.tracing import event_span, tracer_of

log = structlog.get_logger("careplane_shared.events")

EventHandler = Callable[[AsyncSession, CloudEvent], Awaitable[None]]


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


def _insert_new(table: Table) -> ReturningInsert[tuple[str, str]]:
    """One statement for any number of events (arrays, so one prepared statement serves
    every batch size): inserts those not seen before, returns their keys."""
    rows = (
        func.unnest(
            bindparam("sources", type_=ARRAY(String)),
            bindparam("ids", type_=ARRAY(String)),
            bindparam("types", type_=ARRAY(String)),
            bindparam("envelopes", type_=ARRAY(Text)),
        )
        .table_valued("source", "id", "type", "envelope")
        .render_derived(name="events")
    )
    return (
        insert(table)
        .from_select(
            ["source", "id", "type", "envelope"],
            select(rows.c.source, rows.c.id, rows.c.type, cast(rows.c.envelope, JSONB)),
        )
        .on_conflict_do_nothing(index_elements=["source", "id"])
        .returning(table.c.source, table.c.id)
    )


class InboxError(BaseModel):
    code: str
    message: str
    details: Any = None


class InboxAck(BaseModel):
    id: str
    accepted: bool = Field(description="False when the event had been received before.")


class InboxBatchAck(InboxAck):
    """One event of a batch: what posting it alone would have answered."""

    source: str
    status: int = Field(
        description="202 accepted, 200 received before, 4xx or 5xx when acting on it "
        "failed: nothing of that event was kept, send it again."
    )
    error: InboxError | None = None


class Inbox:
    """Accepts each event once (by source and id) and runs its handler in the same transaction."""

    def __init__(self, table: Table, *, default: EventHandler | None = None) -> None:
        """``default`` handles every type without a handler of its own (a router that
        routes by data rather than by type, as notify's does)."""
        self.table = table
        self.handlers: dict[str, EventHandler] = {}
        self.default = default
        self._insert_new = _insert_new(table)

    def handler(self, event_type: str) -> Callable[[EventHandler], EventHandler]:
        def register(fn: EventHandler) -> EventHandler:
            self.handlers[event_type] = fn
            return fn

        return register

    async def accept(
        self, session: AsyncSession, event: CloudEvent, *, tracer: Tracer | None = None
    ) -> bool:
        """True if the event is new (and was handled), False if it was seen before."""
        return (await self.accept_all(session, [event], tracer=tracer))[0]

    async def accept_all(
        self,
        session: AsyncSession,
        events: Sequence[CloudEvent],
        *,
        tracer: Tracer | None = None,
    ) -> list[bool]:
        """Records the new ones among ``events`` in one statement, then runs their handlers
        in the order given, in the caller's transaction; a handler's failure propagates
        (the caller rolls back). For each event, True if it was new; an event repeated
        within ``events`` is new once. With a ``tracer``, each handler runs in a span of
        the trace the event carries (:func:`careplane_shared.tracing.event_span`)."""
        # Sorted keys: concurrent batches lock the rows they insert in the same order.
        unique = sorted({(e.source, e.id): e for e in reversed(events)}.items())
        result = await session.execute(
            self._insert_new,
            {
                "sources": [source for (source, _), _ in unique],
                "ids": [id_ for (_, id_), _ in unique],
                "types": [event.type for _, event in unique],
                "envelopes": [event.model_dump_json(exclude_none=True) for _, event in unique],
            },
        )
        new = {(row.source, row.id) for row in result}
        accepted = []
        for event in events:
            key = (event.source, event.id)
            if key in new:
                new.discard(key)
                await self._handle(session, event, tracer)
                accepted.append(True)
            else:
                accepted.append(False)
        return accepted

    async def receive_batch(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        events: Sequence[CloudEvent],
        *,
        tracer: Tracer | None = None,
    ) -> list[InboxBatchAck]:
        """A batch in one transaction, answered event by event.

        When acting on one event fails, that transaction is rolled back and the batch is
        taken again in a new one with a savepoint per event: the failing event is answered
        with its error and nothing of it is kept (the sender retries it alone), the others
        are accepted. One poisoned event thus never holds back the rest, and the common
        case pays for no savepoint."""
        try:
            async with sessionmaker() as session, session.begin():
                accepted = await self.accept_all(session, events, tracer=tracer)
        except Exception:  # taken again below, event by event
            return await self._receive_one_by_one(sessionmaker, events, tracer)
        return [_ack(event, new) for event, new in zip(events, accepted, strict=True)]

    async def _receive_one_by_one(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        events: Sequence[CloudEvent],
        tracer: Tracer | None,
    ) -> list[InboxBatchAck]:
        acks = []
        async with sessionmaker() as session, session.begin():
            for event in events:
                try:
                    async with session.begin_nested():
                        new = await self.accept(session, event, tracer=tracer)
                except CareplaneError as exc:
                    acks.append(_failed(event, exc.status_code, exc.code, exc.message, exc.details))
                except Exception as exc:
                    log.exception(
                        "inbox_event_failed",
                        event_id=event.id,
                        source=event.source,
                        type=event.type,
                        error=repr(exc),
                    )
                    acks.append(_failed(event, 500, "INTERNAL_ERROR", "Something went wrong."))
                else:
                    acks.append(_ack(event, new))
        return acks

    async def _handle(
        self, session: AsyncSession, event: CloudEvent, tracer: Tracer | None
    ) -> None:
        handler = self.handlers.get(event.type, self.default)
        if handler is None:
            return
        if tracer is None:
            await handler(session, event)
            return
        with event_span(tracer, f"process {event.type}", _trace_context(event), _attributes(event)):
            await handler(session, event)


def _trace_context(event: CloudEvent) -> dict[str, str | None]:
    return {"traceparent": event.traceparent, "tracestate": event.tracestate}


def _attributes(event: CloudEvent) -> dict[str, str]:
    """The event's span attributes (OpenTelemetry's CloudEvents semantic conventions)."""
    return {
        "cloudevents.event_id": event.id,
        "cloudevents.event_source": event.source,
        "cloudevents.event_type": event.type,
        "messaging.operation.name": "process",
    }


def _ack(event: CloudEvent, accepted: bool) -> InboxBatchAck:
    return InboxBatchAck(
        id=event.id, source=event.source, accepted=accepted, status=202 if accepted else 200
    )


def _failed(
    event: CloudEvent, status: int, code: str, message: str, details: Any = None
) -> InboxBatchAck:
    return InboxBatchAck(
        id=event.id,
        source=event.source,
        accepted=False,
        status=status,
        error=InboxError(code=code, message=message, details=details),
    )


def inbox_router(inbox: Inbox) -> APIRouter:
    """``POST /v1/events`` for a service: only other services (role SERVICE) may post."""
    router = APIRouter(tags=["events"])

    @router.post(
        "/v1/events",
        response_model=InboxAck | list[InboxBatchAck],
        summary="Receive CloudEvents from another service's outbox (idempotent by source and id).",
    )
    async def receive_event(
        body: Annotated[OneOrBatch, Body()],
        request: Request,
        _: ServicePrincipal,
        response: Response,
    ) -> InboxAck | list[InboxBatchAck]:
        """One structured event (``application/cloudevents+json``): accepting it and acting
        on it happen in one transaction, 202; a repeat is acknowledged (200) without being
        handled again; a failure answers as the error it is, and nothing is kept.

        A batch (``application/cloudevents-batch+json``, a JSON array of structured events)
        answers 200 with one acknowledgement per event, in order, each with the status its
        own post would have had. The batch is one transaction; if acting on an event fails,
        only that event is left out (its acknowledgement carries the error) and the others
        are kept. An array the route cannot read as events is refused whole (422)."""
        sessionmaker = get_database(request).sessionmaker
        tracer = tracer_of(request.app)
        if isinstance(body, list):
            return await inbox.receive_batch(sessionmaker, body, tracer=tracer)
        async with sessionmaker() as session, session.begin():
            accepted = await inbox.accept(session, body, tracer=tracer)
        response.status_code = 202 if accepted else 200
        return InboxAck(id=body.id, accepted=accepted)

    return router
