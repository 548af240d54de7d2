"""Live case events for subscribers (the gateway's ``ticketEvents`` subscription).

Every ``ticket.*`` and ``sla.*`` event is announced with PostgreSQL NOTIFY once the
transaction that wrote it has committed, so listeners never hear of a change that was
rolled back. The NOTIFY is not issued inside that transaction: PostgreSQL serializes the
commits of all transactions that notify (a database-wide lock held through the commit's
WAL flush), which capped case openings at one per commit flush. Instead the committed
events of a process are batched into one short notifying transaction. The live feed is
best effort (a process that dies between the commit and the batch drops those
notifications); the outbox stays the reliable channel. ``GET /v1/tickets/events/stream``
relays the notifications as Server-Sent Events, filtered to what the caller may see.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Mapping
from typing import Annotated, Any

import asyncpg
import structlog
from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Session

from careplane_shared.auth import CurrentPrincipal, Principal, Role
from careplane_shared.events import CloudEvent, Outbox

log = structlog.get_logger(__name__)

CHANNEL = "careplane_ticket_events"
LIVE_PREFIXES = ("ticket.", "sla.")
HEARTBEAT_SECONDS = 15.0
# NOTIFY payloads are limited to 8000 bytes: listeners get the summary, not the body.
_SUMMARY_FIELDS = (
    "ticket_id",
    "number",
    "customer_id",
    "contact_id",
    "status",
    "priority",
    "previous_status",
    "metric",
    "due_at",
    "kind",
    "author_kind",
    "message_id",
    "case_visibility",
)


_PENDING = "live_events"
_NOTIFY_ALL = text("SELECT pg_notify(:channel, p) FROM unnest(CAST(:payloads AS text[])) AS p")
_PUBLISHER = "live_publisher"


class LivePublisher:
    """Collects committed live events and NOTIFYs them in batches, off the request path."""

    def __init__(self, engine: AsyncEngine, batch: int = 200) -> None:
        self.engine = engine
        self.batch = batch
        self.queue: asyncio.Queue[str] = asyncio.Queue(maxsize=10_000)

    def publish(self, payloads: list[str]) -> None:
        for payload in payloads:
            with contextlib.suppress(asyncio.QueueFull):
                self.queue.put_nowait(payload)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                first = await asyncio.wait_for(self.queue.get(), timeout=0.5)
            except TimeoutError:
                continue
            payloads = [first]
            while len(payloads) < self.batch and not self.queue.empty():
                payloads.append(self.queue.get_nowait())
            try:
                async with self.engine.begin() as connection:
                    await connection.execute(
                        _NOTIFY_ALL,
                        {"channel": CHANNEL, "payloads": payloads},
                    )
            except Exception:
                log.exception("live_publish_failed", dropped=len(payloads))


@event.listens_for(Session, "after_commit")
def _publish_committed(session: Session) -> None:
    payloads = session.info.pop(_PENDING, None)
    publisher = session.info.get(_PUBLISHER)
    if payloads and publisher is not None:
        publisher.publish(payloads)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)


class LiveOutbox(Outbox):
    """The outbox, plus a live notification of the events subscribers follow, sent once
    the writing transaction has committed."""

    publisher: LivePublisher | None = None

    async def emit(
        self,
        session: AsyncSession,
        type: str,
        data: Mapping[str, Any],
        *,
        subject: str | None = None,
    ) -> CloudEvent:
        event = await super().emit(session, type, data, subject=subject)
        if type.startswith(LIVE_PREFIXES) and self.publisher is not None:
            summary = {key: data[key] for key in _SUMMARY_FIELDS if data.get(key) is not None}
            payload = json.dumps(
                {
                    "id": event.id,
                    "type": type,
                    "time": event.time.isoformat() if event.time else None,
                    "data": summary,
                },
                separators=(",", ":"),
            )
            session.info.setdefault(_PENDING, []).append(payload)
            session.info[_PUBLISHER] = self.publisher
        return event


def visible(principal: Principal, data: Mapping[str, Any]) -> bool:
    customer = data.get("customer_id")
    if principal.is_customer:
        if customer is None or customer != str(principal.customer_id):
            return False
        own_only = principal.role is Role.CONTACT and data.get("case_visibility") == "own"
        return not own_only or data.get("contact_id") == principal.subject
    if principal.customer_id is not None:
        return customer == str(principal.customer_id)
    return True


router = APIRouter(prefix="/v1/tickets/events", tags=["tickets"])


@router.get(
    "/stream",
    summary="Live case events as Server-Sent Events.",
    response_class=StreamingResponse,
)
async def stream(
    request: Request,
    principal: CurrentPrincipal,
    ticket_id: Annotated[uuid.UUID | None, Query(description="Only this case's events.")] = None,
) -> StreamingResponse:
    """`ticket.*` and `sla.*` events as they commit, each as an SSE message whose `event` is
    the type and whose `data` is the event summary (JSON). Customers receive their own
    customer's events only. A comment line every 15 s keeps idle connections open."""
    dsn = make_url(request.app.state.settings.database_url).set(drivername="postgresql")
    queue: asyncio.Queue[str] = asyncio.Queue(maxsize=1000)

    def on_notify(_: object, __: int, ___: str, payload: str) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            queue.put_nowait(payload)

    connection = await asyncpg.connect(dsn.render_as_string(hide_password=False))
    await connection.add_listener(CHANNEL, on_notify)

    async def events() -> AsyncIterator[bytes]:
        try:
            yield b": connected\n\n"
            while True:
                try:
                    payload = await asyncio.wait_for(queue.get(), HEARTBEAT_SECONDS)
                except TimeoutError:
                    if await request.is_disconnected():
                        return
                    yield b": keep-alive\n\n"
                    continue
                event = json.loads(payload)
                data = event.get("data", {})
                if ticket_id is not None and data.get("ticket_id") != str(ticket_id):
                    continue
                if not visible(principal, data):
                    continue
                yield (
                    f"id: {event['id']}\nevent: {event['type']}\ndata: {json.dumps(event)}\n\n"
                ).encode()
        finally:
            with contextlib.suppress(Exception):
                await connection.close()

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
    )
