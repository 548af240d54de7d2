"""The outbox relay: claims pending rows, posts them to each destination's inbox as one
CloudEvents batch per round, and records every row's outcome."""

from __future__ import annotations

import asyncio
import math
import random
import socket
import uuid
from collections.abc import Iterator, Mapping, Sequence
from datetime import timedelta
from typing import Any

import httpx
import structlog
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import (
    Row,
    String,
    Table,
    Text,
    and_,
    bindparam,
    cast,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from careplane_shared.events.envelope import (
    CLOUDEVENTS_BATCH_CONTENT_TYPE,
    CLOUDEVENTS_CONTENT_TYPE,
)
from careplane_shared.events.inbox import InboxBatchAck
from careplane_shared.events.wakeup import committed_rows
from careplane_shared.leases import releasing

log = structlog.get_logger("careplane_shared.events")

MAX_BATCH_BYTES = 512 * 1024
"""A batch's body stays well under a receiver's body limit (1 MiB by default); a single
event larger than this still goes, alone."""

REFUSED_AS_A_WHOLE = frozenset({400, 413, 415, 422})
"""Answers to a batch that say nothing about its events one by one (a receiver that takes
only single events, a body over its limit, one event it cannot read): its events are
then posted one at a time, so each gets an outcome of its own."""

_ACKS = TypeAdapter(list[InboxBatchAck])

Outcome = tuple[Any, str | None]
"""A claimed row and the reason its delivery failed (None: delivered)."""


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with full jitter: 1 s, 2 s, 4 s ... capped at 5 minutes."""
    ceiling = min(300.0, float(2 ** max(attempts - 1, 0)))
    return ceiling / 2 + random.random() * ceiling / 2


class OutboxRelay:
    """Claims pending rows (``FOR UPDATE SKIP LOCKED`` + lease), posts them, records the outcome.

    Any number of relays cooperate; a relay that dies holds its rows only until the lease
    ends, after which another picks them up. Receivers dedupe by (source, id), so a row
    delivered twice (crash after the post, before the mark) is harmless.

    One round posts one request per destination: the claimed rows bound for it as a
    CloudEvents batch (a JSON array, ``application/cloudevents-batch+json``, split only
    past ``max_batch_bytes``). The receiver answers each event on its own, so each row is
    marked delivered, or failed and retried with its own backoff, as if posted alone.
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
        min_round_seconds: float = 0.25,
        max_batch_bytes: int = MAX_BATCH_BYTES,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.table = table
        self.client = client
        self.destinations = dict(destinations)
        self.batch_size = batch_size
        self.lease = timedelta(seconds=lease_seconds)
        self.poll_seconds = poll_seconds
        self.min_round_seconds = min_round_seconds
        self.max_batch_bytes = max_batch_bytes
        self.worker_id = f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"
        # Built once: a round only binds values.
        self._claim_rows = self._claim_statement()
        self._mark_delivered = self._delivered_statement()
        self._release_rows = self._release_statement()

    def _claim_statement(self) -> Any:
        t = self.table
        now = func.now()
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
        return (
            update(t)
            .where(and_(t.c.id == claimable.c.id, t.c.destination == claimable.c.destination))
            .values(
                locked_until=now + text(f"interval '{int(self.lease.total_seconds())} seconds'"),
                locked_by=self.worker_id,
                attempts=t.c.attempts + 1,
            )
            # The envelope as the JSON text it is stored as: posted without a parse.
            .returning(
                t.c.id,
                t.c.destination,
                cast(t.c.envelope, Text).label("envelope"),
                t.c.attempts,
                t.c.available_at,
            )
        )

    def _ours(self, name: str) -> Any:
        """The rows named by the ``ids`` and ``destinations`` parameters still leased to
        this relay."""
        t = self.table
        keys = (
            func.unnest(
                bindparam("ids", type_=ARRAY(UUID(as_uuid=True))),
                bindparam("destinations", type_=ARRAY(String)),
            )
            .table_valued("id", "destination")
            .render_derived(name=name)
        )
        return update(t).where(
            t.c.id == keys.c.id,
            t.c.destination == keys.c.destination,
            t.c.locked_by == self.worker_id,
            t.c.delivered_at.is_(None),
        )

    def _delivered_statement(self) -> Any:
        return self._ours("delivered").values(
            delivered_at=func.now(), last_error=None, locked_until=None, locked_by=None
        )

    def _release_statement(self) -> Any:
        t = self.table
        return self._ours("released").values(
            locked_until=None, locked_by=None, attempts=t.c.attempts - 1
        )

    async def _claim(self) -> list[Row[Any]]:
        async with self.sessionmaker() as session, session.begin():
            rows = (await session.execute(self._claim_rows)).all()
        # Oldest first, as they were written: a receiver acts on them in this order.
        return sorted(rows, key=lambda row: row.available_at)

    def _batches(self, rows: Sequence[Row[Any]]) -> Iterator[tuple[str, list[Row[Any]]]]:
        by_destination: dict[str, list[Row[Any]]] = {}
        for row in rows:
            by_destination.setdefault(row.destination, []).append(row)
        for destination, pending in by_destination.items():
            batch: list[Row[Any]] = []
            size = 2
            for row in pending:
                if batch and size + len(row.envelope) + 1 > self.max_batch_bytes:
                    yield destination, batch
                    batch, size = [], 2
                batch.append(row)
                size += len(row.envelope) + 1
            yield destination, batch

    async def _deliver_batch(self, destination: str, rows: list[Row[Any]]) -> list[Outcome]:
        url = self.destinations.get(destination)
        if url is None:
            return [(row, f"no URL configured for destination {destination!r}") for row in rows]
        body = "[" + ",".join(row.envelope for row in rows) + "]"
        try:
            response = await self.client.post(
                url,
                content=body.encode(),
                headers={
                    "content-type": CLOUDEVENTS_BATCH_CONTENT_TYPE,
                    # Marks the post as safe to repeat: the receiver dedupes every event.
                    "idempotency-key": f"batch-{rows[0].id}-{len(rows)}",
                },
            )
        except httpx.HTTPError as exc:
            return _all_failed(rows, f"{type(exc).__name__}: {exc}")
        if response.status_code in REFUSED_AS_A_WHOLE:
            return list(await asyncio.gather(*(self._deliver(url, row) for row in rows)))
        if response.status_code >= 300:
            return _all_failed(rows, f"HTTP {response.status_code}: {response.text[:500]}")
        try:
            acks = {(ack.id): ack for ack in _ACKS.validate_json(response.content)}
        except ValidationError:
            return _all_failed(rows, f"unreadable acknowledgements: {response.text[:200]}")
        return [(row, _ack_error(acks.get(str(row.id)))) for row in rows]

    async def _deliver(self, url: str, row: Row[Any]) -> Outcome:
        """One row alone, as a structured event."""
        try:
            response = await self.client.post(
                url,
                content=row.envelope.encode(),
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

    async def _record(self, outcomes: Sequence[Outcome]) -> None:
        t = self.table
        delivered = [row for row, error in outcomes if error is None]
        async with self.sessionmaker() as session, session.begin():
            if delivered:
                await session.execute(
                    self._mark_delivered,
                    {
                        "ids": [row.id for row in delivered],
                        "destinations": [row.destination for row in delivered],
                    },
                )
            for row, error in outcomes:
                if error is None:
                    continue
                delay = backoff_seconds(row.attempts)
                log.warning(
                    "outbox_delivery_failed",
                    event_id=str(row.id),
                    destination=row.destination,
                    attempts=row.attempts,
                    retry_in_s=round(delay, 1),
                    error=error[:200],
                )
                await session.execute(
                    update(t)
                    .where(
                        t.c.id == row.id,
                        t.c.destination == row.destination,
                        t.c.locked_by == self.worker_id,
                    )
                    .values(
                        locked_until=None,
                        locked_by=None,
                        available_at=func.now() + timedelta(seconds=delay),
                        last_error=error[:2000],
                    )
                )

    async def run_once(self) -> int:
        """One claim-deliver-record round; returns how many rows it handled. Cut short
        (the worker cancelled at shutdown), the rows it did not record are released
        (:mod:`careplane_shared.leases`): the receivers dedupe a row posted again."""
        async with releasing("outbox-relay", self._release) as held:
            rows = await self._claim()
            if not rows:
                return 0
            held.claimed((row.id, row.destination) for row in rows)
            delivered = await asyncio.gather(
                *(
                    self._deliver_batch(destination, batch)
                    for destination, batch in self._batches(rows)
                )
            )
            await self._record([outcome for batch in delivered for outcome in batch])
            held.settled((row.id, row.destination) for row in rows)
            return len(rows)

    async def _release(self, keys: list[tuple[uuid.UUID, str]]) -> int:
        """Gives claimed rows back at once, their attempt not counted."""
        async with self.sessionmaker() as session, session.begin():
            result = await session.execute(
                self._release_rows,
                {"ids": [key[0] for key in keys], "destinations": [key[1] for key in keys]},
            )
        return int(getattr(result, "rowcount", 0) or 0)

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Rounds until ``stop``: the next one at once while rows come in full batches,
        else when a transaction of this process that wrote to the table commits, and after
        ``poll_seconds`` at the latest (rows written elsewhere, retries coming due).

        A round costs about the same whatever it carries (a claim, a post per destination,
        each a request and a transaction in the receiver, a record), so a round that
        carries rows starts at most every ``min_round_seconds``: the first event after a
        quiet spell leaves at once, and under load each round carries what came in
        meanwhile instead of an event or two."""
        loop = asyncio.get_running_loop()
        last_carried = -math.inf  # when the last round that carried rows started
        with committed_rows(self.table) as written:
            while not stop.is_set():
                written.clear()
                started = loop.time()
                try:
                    handled = await self.run_once()
                except Exception:
                    log.exception("outbox_relay_error")
                    handled = 0
                if handled:
                    last_carried = started
                if handled >= self.batch_size:
                    continue
                await _first_of(stop, written, seconds=self.poll_seconds)
                early = last_carried + self.min_round_seconds - loop.time()
                if written.is_set() and early > 0:
                    await _first_of(stop, seconds=early)


async def _first_of(*events: asyncio.Event, seconds: float) -> None:
    """Returns when one of ``events`` is set, or after ``seconds``."""
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
        await asyncio.gather(*waiters, return_exceptions=True)


def _all_failed(rows: Sequence[Row[Any]], error: str) -> list[Outcome]:
    return [(row, error) for row in rows]


def _ack_error(ack: InboxBatchAck | None) -> str | None:
    if ack is None:
        return "the receiver's answer did not acknowledge this event"
    if ack.status < 300:
        return None
    reason = f"{ack.error.code}: {ack.error.message}" if ack.error else "no reason given"
    return f"HTTP {ack.status} (in a batch): {reason}"
