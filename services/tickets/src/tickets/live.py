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

The streams share one LISTEN connection per process (``tickets.live_hub``): a stream costs
the database nothing of its own. Each caller may hold a few, each ends when its token
expires or contracts no longer accepts the account behind it (checked periodically with the
caller's own token).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import random
import uuid
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Session
from starlette.types import Receive, Scope, Send

from careplane_shared.auth import CurrentPrincipal, Principal
from careplane_shared.errors import Unauthenticated
from careplane_shared.events import CloudEvent, Outbox
from tickets.access import visible
from tickets.clients.contracts import AccountRefused, ContractsClient, ContractsUnavailable
from tickets.config import TicketsSettings
from tickets.live_hub import (
    CHANNEL,
    INTERRUPTED,
    LiveEvent,
    LiveHub,
    StreamEnd,
    Subscription,
)
from tickets.ticket.events import CUSTOMER_ONLY

log = structlog.get_logger(__name__)

LIVE_PREFIXES = ("ticket.", "sla.")
HEARTBEAT_SECONDS = 15.0
# NOTIFY payloads are limited to 8000 bytes: listeners get the summary, not the body.
_SUMMARY_FIELDS = (
    CUSTOMER_ONLY,
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
        """Publishes until ``stop``, then what is still queued: the events of the last
        requests the process answered still reach the streams of the other replicas."""
        while not stop.is_set():
            try:
                first = await asyncio.wait_for(self.queue.get(), timeout=0.5)
            except TimeoutError:
                continue
            await self._notify([first, *self._take(self.batch - 1)])
        while not self.queue.empty():  # bounded: the queue holds at most 10,000
            await self._notify(self._take(self.batch))

    def _take(self, most: int) -> list[str]:
        payloads: list[str] = []
        while len(payloads) < most and not self.queue.empty():
            payloads.append(self.queue.get_nowait())
        return payloads

    async def _notify(self, payloads: list[str]) -> None:
        try:
            async with self.engine.begin() as connection:
                await connection.execute(_NOTIFY_ALL, {"channel": CHANNEL, "payloads": payloads})
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


def hears(principal: Principal, data: Mapping[str, Any]) -> bool:
    """Whether a live event's summary reaches this caller's stream: the case's visibility
    rule, and a ``customer_only`` repeat only on the customer's side (the vendor's streams
    heard the original when it happened)."""
    if data.get(CUSTOMER_ONLY) is True and principal.is_vendor_side:
        return False
    return visible(principal, data)


router = APIRouter(prefix="/v1/tickets/events", tags=["tickets"])

TOKEN_EXPIRED = StreamEnd(
    "TOKEN_EXPIRED", "The bearer token has expired; reconnect with a fresh one."
)
REPLAY_UNAVAILABLE = StreamEnd(
    "REPLAY_UNAVAILABLE",
    "The event after which to resume is no longer among the recent events; each case's "
    "history has what happened meanwhile.",
)


def create_live_hub(settings: TicketsSettings) -> LiveHub:
    """The process's hub: one LISTEN connection on the service's own database."""
    dsn = make_url(settings.database_url).set(drivername="postgresql")
    return LiveHub(
        dsn.render_as_string(hide_password=False),
        channel=CHANNEL,
        per_principal=settings.live_streams_per_principal,
        per_customer=settings.live_streams_per_customer,
        per_process=settings.live_streams_per_process,
        queue_size=settings.live_queue_size,
        replay_events=settings.live_replay_events,
        # A place held by a client that vanished is freed at the next keep-alive at most.
        retry_after_seconds=HEARTBEAT_SECONDS,
    )


async def account_refusal(contracts: ContractsClient, principal: Principal) -> StreamEnd | None:
    """Why the caller's account may no longer follow events (deactivated, deleted, key
    revoked: contracts refuses its token), or None. A contracts outage is no reason."""
    try:
        await contracts.me(principal.token)
    except AccountRefused as exc:
        return StreamEnd(exc.code, "The account behind this token may no longer sign in.")
    except ContractsUnavailable as exc:
        log.warning("live_account_check_unavailable", error=str(exc))
    return None


class _StreamResponse(StreamingResponse):
    """Frees the stream's place however the response ends, even if it never started."""

    def __init__(self, content: AsyncIterator[bytes], subscription: Subscription) -> None:
        super().__init__(
            content,
            media_type="text/event-stream",
            headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
        )
        self.subscription = subscription

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.subscription.close()


@router.get(
    "/stream",
    summary="Live case events as Server-Sent Events.",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}},
        429: {"description": "Too many open streams (TOO_MANY_STREAMS); see Retry-After."},
    },
)
async def stream(
    request: Request,
    principal: CurrentPrincipal,
    ticket_id: Annotated[uuid.UUID | None, Query(description="Only this case's events.")] = None,
    last_event_id: Annotated[
        str | None,
        Header(max_length=200, description="Resume after this event (sent by EventSource)."),
    ] = None,
    after: Annotated[
        str | None,
        Query(max_length=200, description="Resume after this event (as Last-Event-ID)."),
    ] = None,
) -> StreamingResponse:
    """`ticket.*` and `sla.*` events as they commit, each as an SSE message whose `id` is the
    event's id, whose `event` is the type and whose `data` is the event summary (JSON).
    Customers receive their own customer's events only. A comment line every 15 s keeps idle
    connections open.

    A caller may hold a few streams at once (`TICKETS_LIVE_STREAMS_PER_PRINCIPAL`), all the
    callers of one customer together `TICKETS_LIVE_STREAMS_PER_CUSTOMER` per process, and the
    process `TICKETS_LIVE_STREAMS_PER_PROCESS`; one more answers 429 `TOO_MANY_STREAMS` with
    `Retry-After` and `details` naming the limit (`per`: `principal`, `customer`,
    `process`). A stream ends with an `event: stream.end` message whose data says why
    (`{"code", "message"}`): `TOKEN_EXPIRED` when the token expires, the code contracts gives
    (e.g. `ACCOUNT_INACTIVE`) once the account is deactivated or the API key revoked (checked
    every `TICKETS_LIVE_RECHECK_SECONDS`; at opening, such an account gets 401 with that code),
    `STREAM_LAGGING` when the reader fell too far behind, `STREAM_INTERRUPTED` when the feed
    itself broke, `SHUTTING_DOWN`.

    `Last-Event-ID` (or `after`) resumes after that event: the recent events
    (`TICKETS_LIVE_REPLAY_EVENTS`) that came after it are sent first. When it is not among
    them, the stream starts with `event: stream.gap` (code `REPLAY_UNAVAILABLE`) instead."""
    settings: TicketsSettings = request.app.state.settings
    hub: LiveHub = request.app.state.live_hub
    resume_after = last_event_id or after
    if principal.expires_at is not None and principal.expires_at <= datetime.now(UTC):
        raise Unauthenticated("The bearer token has expired.", code="TOKEN_EXPIRED")
    case = str(ticket_id) if ticket_id is not None else None

    def wants(data: Mapping[str, Any]) -> bool:
        if case is not None and data.get("ticket_id") != case:
            return False
        return hears(principal, data)

    # Staff and vendor principals belong to no customer: only their own limit applies.
    customer = None
    if principal.is_customer and principal.customer_id is not None:
        customer = str(principal.customer_id)
    subscription, replay = hub.subscribe(
        principal.subject, wants, customer=customer, last_event_id=resume_after
    )
    try:
        refusal = await account_refusal(request.app.state.contracts, principal)
        if refusal is not None:
            raise Unauthenticated(refusal.message, code=refusal.code)
        await hub.ready()
    except BaseException:
        subscription.close()
        raise
    return _StreamResponse(
        _relay(
            subscription,
            principal,
            request.app.state.contracts,
            recheck_seconds=settings.live_recheck_seconds,
            replay=replay,
            replay_asked=resume_after is not None,
        ),
        subscription,
    )


async def _relay(
    subscription: Subscription,
    principal: Principal,
    contracts: ContractsClient,
    *,
    recheck_seconds: float,
    replay: list[LiveEvent] | None,
    replay_asked: bool,
) -> AsyncIterator[bytes]:
    """The stream's messages until it ends: at the token's expiry, when contracts refuses
    the account, or when the hub ends the subscription."""
    loop = asyncio.get_running_loop()
    expires = math.inf
    if principal.expires_at is not None:
        expires = loop.time() + (principal.expires_at - datetime.now(UTC)).total_seconds()
    # Spread the checks of streams opened together.
    next_check = loop.time() + recheck_seconds * (0.8 + 0.2 * random.random())
    next_beat = loop.time() + HEARTBEAT_SECONDS
    try:
        yield b": connected\n\n"
        if replay_asked and replay is None:
            yield REPLAY_UNAVAILABLE.frame("stream.gap")
        for replayed in replay or ():
            yield replayed.frame
        while True:
            try:
                async with asyncio.timeout_at(min(expires, next_check, next_beat)):
                    event = await subscription.get()
            except TimeoutError:
                now = loop.time()
                if now >= expires:
                    yield TOKEN_EXPIRED.frame()
                    return
                if now >= next_check:
                    refusal = await account_refusal(contracts, principal)
                    if refusal is not None:
                        yield refusal.frame()
                        return
                    next_check = loop.time() + recheck_seconds
                if now >= next_beat:
                    yield b": keep-alive\n\n"
                    next_beat = loop.time() + HEARTBEAT_SECONDS
                continue
            if event is None:
                yield (subscription.ended or INTERRUPTED).frame()
                return
            if loop.time() >= expires:
                yield TOKEN_EXPIRED.frame()
                return
            yield event.frame
            next_beat = loop.time() + HEARTBEAT_SECONDS
    finally:
        subscription.close()
