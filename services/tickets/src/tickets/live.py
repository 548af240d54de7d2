"""Live case events for subscribers (the gateway's ``ticketEvents`` subscription).

Every ``ticket.*`` and ``sla.*`` event is also announced with PostgreSQL NOTIFY in the
transaction that writes it, so listeners hear of it exactly when it commits, and never of
a change that was rolled back. ``GET /v1/tickets/events/stream`` relays them as
Server-Sent Events, filtered to what the caller may see.
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
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

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


class LiveOutbox(Outbox):
    """The outbox, plus a NOTIFY for events that subscribers follow."""

    async def emit(
        self,
        session: AsyncSession,
        type: str,
        data: Mapping[str, Any],
        *,
        subject: str | None = None,
    ) -> CloudEvent:
        event = await super().emit(session, type, data, subject=subject)
        if type.startswith(LIVE_PREFIXES):
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
            await session.execute(select(func.pg_notify(CHANNEL, payload)))
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
