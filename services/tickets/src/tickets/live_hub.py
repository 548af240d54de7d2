"""One LISTEN connection per process, fanned out in memory to every open live-event stream.

A stream used to hold a PostgreSQL connection of its own, so a few hundred streams of one
caller could take every connection the database has. The hub holds one connection that
LISTENs for case events, parses each notification once and offers it to every subscription;
each subscription keeps only the events its own filter lets through, in a bounded queue.
Nothing the hub does waits on a subscriber: one that falls ``queue_size`` events behind is
ended (it may reconnect and resume with ``Last-Event-ID``), the others go on.

The hub connects on its first subscription, reconnects (with backoff) whenever the connection
is lost, and is closed with the app. Streams open while the connection is lost are ended, since
the events of the gap were heard by no one; the recent events kept for replay are forgotten
for the same reason, so a resume across the gap says the replay is unavailable instead of
silently skipping it.

It also keeps the limits: streams per principal, per customer and per process. A customer
may create many principals (API keys), so the cap per principal alone would let one customer
take every place of the process; staff and vendor principals belong to no customer and count
only against their own and the process's limits.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg
import structlog
from prometheus_client import Gauge

from careplane_shared.errors import ServiceUnavailable
from tickets.live_errors import LiveEventsUnavailable, TooManyStreams

log = structlog.get_logger(__name__)

CHANNEL = "careplane_ticket_events"
# The hub's connection shows under this name in pg_stat_activity.
APPLICATION_NAME = "careplane-tickets-live"

STREAMS = Gauge("careplane_live_streams", "Live event streams open in this process.")
LISTENING = Gauge(
    "careplane_live_listening", "1 while this process's live-event connection is LISTENing."
)


@dataclass(frozen=True, slots=True)
class LiveEvent:
    """One case event as every subscriber gets it; ``frame`` is its SSE message."""

    seq: int
    id: str
    type: str
    data: Mapping[str, Any]
    frame: bytes


@dataclass(frozen=True, slots=True)
class StreamEnd:
    """Why a stream ended: ``code`` and ``message`` are sent to the subscriber."""

    code: str
    message: str

    def frame(self, event: str = "stream.end") -> bytes:
        body = json.dumps({"code": self.code, "message": self.message}, separators=(",", ":"))
        return f"event: {event}\ndata: {body}\n\n".encode()


LAGGING = StreamEnd(
    "STREAM_LAGGING",
    "Events were not read fast enough; reconnect with Last-Event-ID to resume.",
)
INTERRUPTED = StreamEnd(
    "STREAM_INTERRUPTED",
    "The live event feed was interrupted; reconnect (each case's history has what happened).",
)
SHUTTING_DOWN = StreamEnd("SHUTTING_DOWN", "The service is shutting down; reconnect.")

Filter = Callable[[Mapping[str, Any]], bool]


class Subscription:
    """One stream's view of the hub: the events its filter lets through, in order, ending
    with ``None`` once the hub ends it (``ended`` says why)."""

    def __init__(
        self, hub: LiveHub, key: str, customer: str | None, wants: Filter, limit: int
    ) -> None:
        self.hub = hub
        self.key = key
        self.customer = customer
        self.wants = wants
        self.limit = limit
        self.ended: StreamEnd | None = None
        self.closed = False
        # Unbounded for asyncio, bounded by ``limit`` here: the end marker always fits.
        self._queue: asyncio.Queue[LiveEvent | None] = asyncio.Queue()

    def offer(self, event: LiveEvent) -> None:
        """Called by the hub for every event; never waits."""
        if self.ended is not None:
            return
        try:
            wanted = self.wants(event.data)
        except Exception:
            log.exception("live_filter_failed", event_id=event.id)
            return
        if not wanted:
            return
        if self._queue.qsize() >= self.limit:
            self.end(LAGGING)
            return
        self._queue.put_nowait(event)

    def end(self, reason: StreamEnd) -> None:
        """Ends the stream after what is already queued."""
        if self.ended is None:
            self.ended = reason
            self._queue.put_nowait(None)

    async def get(self) -> LiveEvent | None:
        return await self._queue.get()

    def close(self) -> None:
        """The stream is gone: frees its place (idempotent)."""
        if not self.closed:
            self.closed = True
            self.hub._release(self)


class LiveHub:
    def __init__(
        self,
        dsn: str,
        *,
        per_principal: int,
        per_customer: int,
        per_process: int,
        queue_size: int,
        replay_events: int,
        retry_after_seconds: float = 15.0,
        connect_timeout: float = 5.0,
        check_seconds: float = 30.0,
        channel: str = CHANNEL,
    ) -> None:
        self.dsn = dsn
        self.per_principal = per_principal
        self.per_customer = per_customer
        self.per_process = per_process
        self.queue_size = queue_size
        self.retry_after_seconds = retry_after_seconds
        self.connect_timeout = connect_timeout
        self.check_seconds = check_seconds
        self.channel = channel
        # How many connections the hub has opened in its life (tests and logs).
        self.connections_opened = 0
        self._subscriptions: set[Subscription] = set()
        self._per_key: Counter[str] = Counter()
        self._per_customer: Counter[str] = Counter()
        self._recent: deque[LiveEvent] = deque(maxlen=replay_events or None)
        self._replay_events = replay_events
        self._ids: dict[str, int] = {}
        self._seq = 0
        self._connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    # -- subscriptions ---------------------------------------------------------------------

    @property
    def open_streams(self) -> int:
        return len(self._subscriptions)

    def streams_of(self, key: str) -> int:
        return self._per_key[key]

    def streams_of_customer(self, customer: str) -> int:
        return self._per_customer[customer]

    def subscribe(
        self,
        key: str,
        wants: Filter,
        *,
        customer: str | None = None,
        last_event_id: str | None = None,
    ) -> tuple[Subscription, list[LiveEvent] | None]:
        """A new subscription for principal ``key`` (of ``customer``, None for staff and
        vendor principals), and, when ``last_event_id`` is given,
        the recent events after it that ``wants`` lets through (None: that event is not among
        the recent ones, so what came after it cannot be told). Taken at once, so no event is
        both replayed and queued, or neither. TooManyStreams over a limit."""
        if self._closing:
            raise ServiceUnavailable(SHUTTING_DOWN.message, code=SHUTTING_DOWN.code)
        if self._per_key[key] >= self.per_principal:
            raise TooManyStreams(
                per="principal", limit=self.per_principal, retry_after=self.retry_after_seconds
            )
        if customer is not None and self._per_customer[customer] >= self.per_customer:
            raise TooManyStreams(
                per="customer", limit=self.per_customer, retry_after=self.retry_after_seconds
            )
        if len(self._subscriptions) >= self.per_process:
            raise TooManyStreams(
                per="process", limit=self.per_process, retry_after=self.retry_after_seconds
            )
        subscription = Subscription(self, key, customer, wants, self.queue_size)
        self._subscriptions.add(subscription)
        self._per_key[key] += 1
        if customer is not None:
            self._per_customer[customer] += 1
        STREAMS.inc()
        replay: list[LiveEvent] | None = None
        if last_event_id is not None:
            after = self._ids.get(last_event_id)
            if after is not None:
                replay = [e for e in self._recent if e.seq > after and _safely(wants, e.data, e.id)]
        return subscription, replay

    def _release(self, subscription: Subscription) -> None:
        if subscription in self._subscriptions:
            self._subscriptions.discard(subscription)
            self._per_key[subscription.key] -= 1
            if self._per_key[subscription.key] <= 0:
                del self._per_key[subscription.key]
            customer = subscription.customer
            if customer is not None:
                self._per_customer[customer] -= 1
                if self._per_customer[customer] <= 0:
                    del self._per_customer[customer]
            STREAMS.dec()

    async def ready(self) -> None:
        """Starts the hub if it is not running and waits until it LISTENs (bounded);
        LiveEventsUnavailable if the database cannot be reached."""
        if self._closing:
            raise ServiceUnavailable(SHUTTING_DOWN.message, code=SHUTTING_DOWN.code)
        if self._task is None or self._task.done():
            # A context of its own: the hub outlives the request that happened to start it.
            self._task = asyncio.create_task(
                self._run(), name="live-hub", context=contextvars.Context()
            )
        if self._connected.is_set():
            return
        try:
            async with asyncio.timeout(self.connect_timeout):
                await self._connected.wait()
        except TimeoutError:
            raise LiveEventsUnavailable() from None

    # -- the connection ----------------------------------------------------------------------

    def _on_notify(self, _connection: object, _pid: int, _channel: str, payload: str) -> None:
        event = self._parse(payload)
        if event is None:
            return
        if self._replay_events:
            if len(self._recent) == self._recent.maxlen:
                self._ids.pop(self._recent[0].id, None)
            self._recent.append(event)
            self._ids[event.id] = event.seq
        for subscription in list(self._subscriptions):
            subscription.offer(event)

    def _parse(self, payload: str) -> LiveEvent | None:
        try:
            parsed = json.loads(payload)
            event_id, event_type, data = parsed["id"], parsed["type"], parsed["data"]
            if not (
                isinstance(event_id, str)
                and isinstance(event_type, str)
                and isinstance(data, dict)
                and event_id
                and not any(c in event_id + event_type for c in "\r\n\0")
            ):
                raise ValueError("not a live event")
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("live_event_unreadable", error=repr(exc))
            return None
        self._seq += 1
        body = json.dumps(parsed)
        frame = f"id: {event_id}\nevent: {event_type}\ndata: {body}\n\n".encode()
        return LiveEvent(seq=self._seq, id=event_id, type=event_type, data=data, frame=frame)

    async def _run(self) -> None:
        backoff = 0.25
        while not self._closing:
            try:
                connection = await asyncpg.connect(
                    self.dsn,
                    timeout=self.connect_timeout,
                    server_settings={"application_name": APPLICATION_NAME},
                )
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("live_listen_connect_failed", error=repr(exc), retry_in=backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            self.connections_opened += 1
            try:
                await self._listen(connection)
                backoff = 0.25
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("live_listen_lost", error=repr(exc))
            finally:
                self._connected.clear()
                LISTENING.set(0)
                connection.terminate()
                self._gap(SHUTTING_DOWN if self._closing else INTERRUPTED)

    async def _listen(self, connection: asyncpg.Connection) -> None:
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _: lost.set())
        await connection.add_listener(self.channel, self._on_notify)
        self._connected.set()
        LISTENING.set(1)
        log.info("live_listening", channel=self.channel)
        while not lost.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.check_seconds):
                    await lost.wait()
            if not lost.is_set():
                # A connection that died without closing is noticed here.
                await connection.fetchval("SELECT 1", timeout=self.connect_timeout)
        log.warning("live_listen_lost", error="connection closed")

    def _gap(self, reason: StreamEnd) -> None:
        """What was heard before the connection was lost cannot be followed seamlessly."""
        self._recent.clear()
        self._ids.clear()
        for subscription in list(self._subscriptions):
            subscription.end(reason)

    async def close_on(self, stop: asyncio.Event) -> None:
        """Ends every stream as soon as ``stop`` is set (SIGTERM), telling its client to
        reconnect, instead of holding uvicorn's drain of the requests to its end."""
        await stop.wait()
        await self.close()

    async def close(self) -> None:
        self._closing = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._gap(SHUTTING_DOWN)


def _safely(wants: Filter, data: Mapping[str, Any], event_id: str) -> bool:
    try:
        return wants(data)
    except Exception:
        log.exception("live_filter_failed", event_id=event_id)
        return False
