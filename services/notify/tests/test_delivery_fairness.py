"""One tenant's target cannot stall the others: a receiver that drips its answer one byte at
a time, a flood for one endpoint, many endpoints of one tenant, a gzip bomb. Shown by what is
recorded and in which order (real PostgreSQL, the real worker, real sockets on 127.0.0.1),
never by timings: the pauses below only pace the stand-in servers and bound the waits."""

from __future__ import annotations

import asyncio
import resource
import struct
import uuid
import zlib
from collections.abc import AsyncIterator

import pytest
from notify_testkit import make_due, post_event, staff, ticket_event
from sqlalchemy import text

from careplane_shared.testing import asgi_client
from notify.deliveries.worker import INTERRUPTED

DRIP_EVERY_SECONDS = 0.2
DRIP_MAX_BYTES = 1500  # the drip ends on its own after 5 minutes at most


class RawTarget:
    """A webhook receiver written on bare sockets, so that it can misbehave exactly: it reads
    the request, then either drips (headers at once, then one byte every
    ``DRIP_EVERY_SECONDS`` of a body it never finishes), answers at once, or sends ``body``
    with the given headers. It knows which of its connections are still open."""

    def __init__(self) -> None:
        self.mode = "drip"
        self.headers: dict[str, str] = {}
        self.body = b""
        self.requests: list[bytes] = []
        self.opened = 0
        self.closed = 0
        self.bytes_sent = 0
        self._server: asyncio.Server | None = None

    @property
    def open(self) -> int:
        return self.opened - self.closed

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.opened += 1
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                (
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                ),
                0,
            )
            await reader.readexactly(length)
            self.requests.append(head)
            if self.mode == "drip":
                await self._drip(reader, writer)
            elif self.mode == "ok":
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
            else:
                await self._send(writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            self.closed += 1

    async def _drip(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n"
        )
        await writer.drain()
        for _ in range(DRIP_MAX_BYTES):
            writer.write(b".")
            await writer.drain()
            self.bytes_sent += 1
            try:  # paces the drip; returns at once when the client hangs up
                if await asyncio.wait_for(reader.read(1), DRIP_EVERY_SECONDS) == b"":
                    return
            except TimeoutError:
                continue

    async def _send(self, writer: asyncio.StreamWriter) -> None:
        headers = {"Content-Length": str(len(self.body)), **self.headers}
        writer.write(
            b"HTTP/1.1 200 OK\r\n"
            + b"".join(f"{k}: {v}\r\n".encode() for k, v in headers.items())
            + b"\r\n"
        )
        for start in range(0, len(self.body), 64 * 1024):
            writer.write(self.body[start : start + 64 * 1024])
            await writer.drain()
            self.bytes_sent += min(64 * 1024, len(self.body) - start)

    async def until_closed(self, count: int) -> None:
        """Waits (bounded) until ``count`` connections have been closed."""
        for _ in range(200):
            if self.closed >= count:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"{self.closed} of {count} connections closed")


@pytest.fixture
async def raw_target() -> AsyncIterator[tuple[RawTarget, str]]:
    target = RawTarget()
    server = await asyncio.start_server(target.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield target, f"http://127.0.0.1:{port}"
    finally:
        server.close()
        # Connections still dripping end when their client goes; the server does not wait.


def gzip_bomb(inflated_mib: int = 1024) -> bytes:
    """About 1 MB of valid gzip that inflates to ``inflated_mib`` MiB of zeros, built without
    compressing them all: after the first MiB every flushed MiB compresses to the same
    bytes, so those are repeated, and the trailer (CRC-32 and size) is written by hand."""
    zeros = bytes(1 << 20)
    deflate = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    first = deflate.compress(zeros) + deflate.flush(zlib.Z_SYNC_FLUSH)
    each = deflate.compress(zeros) + deflate.flush(zlib.Z_SYNC_FLUSH)
    assert deflate.compress(zeros) + deflate.flush(zlib.Z_SYNC_FLUSH) == each
    last_block = deflate.flush(zlib.Z_FINISH)[:-8]
    crc = 0
    for _ in range(inflated_mib):
        crc = zlib.crc32(zeros, crc)
    trailer = struct.pack("<II", crc, (inflated_mib << 20) & 0xFFFFFFFF)
    return first + each * (inflated_mib - 1) + last_block + trailer


async def register(client, minter, url: str, customer_id: uuid.UUID) -> dict:
    answer = await client.post(
        "/v1/webhook-endpoints",
        json={"url": url, "event_types": ["*"], "customer_id": str(customer_id)},
        headers=staff(minter),
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


async def rows_of(engine, customer_id: uuid.UUID) -> list:
    async with engine.connect() as c:
        return list(
            await c.execute(
                text(
                    "SELECT d.id, d.status, d.attempts, d.next_attempt_at > now() AS later, "
                    "(SELECT count(*) FROM delivery_attempts a WHERE a.delivery_id = d.id) "
                    "AS logged FROM deliveries d WHERE d.customer_id = :c ORDER BY d.created_at"
                ),
                {"c": customer_id},
            )
        )


async def attempts_of(engine, customer_id: uuid.UUID) -> list:
    async with engine.connect() as c:
        return list(
            await c.execute(
                text(
                    "SELECT a.outcome, a.status_code, a.error, a.response_excerpt, a.retry_at "
                    "FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id "
                    "WHERE d.customer_id = :c ORDER BY a.id"
                ),
                {"c": customer_id},
            )
        )


async def test_a_dripping_tenant_does_not_hold_back_another_tenants_deliveries(
    live_notify, receiver, raw_target, notify_minter, notify_engine
):
    """Tenant A's endpoint drips and is flooded (12 deliveries, all older than B's); tenant B's
    three are recorded as succeeded while A's attempts are still open, and A never has more
    than its two slots in flight."""
    healthy, healthy_url = receiver
    drip, drip_url = raw_target
    tenant_a, tenant_b = uuid.uuid4(), uuid.uuid4()
    settings = {
        "delivery_batch_size": 10,
        "delivery_target_concurrency": 2,
        "delivery_poll_seconds": 0.05,
        "delivery_deadline_seconds": 50,  # no deadline ends the drip during this test
    }
    async with live_notify(**settings) as app, asgi_client(app) as client:
        await register(client, notify_minter, f"{drip_url}/a", tenant_a)
        await register(client, notify_minter, f"{healthy_url}/b", tenant_b)
        for _ in range(12):
            await post_event(client, notify_minter, ticket_event(customer_id=tenant_a))
        for _ in range(3):
            await post_event(client, notify_minter, ticket_event(customer_id=tenant_b))

        stop = asyncio.Event()
        worker = asyncio.create_task(app.state.delivery_worker.run_forever(stop))
        try:
            for _ in range(400):  # bounded: 20 s at most
                b_rows = await rows_of(notify_engine, tenant_b)
                if drip.opened >= 2 and all(r.status == "succeeded" for r in b_rows):
                    break
                await asyncio.sleep(0.05)
            # Read A's side after B's success is in the database: still going on.
            dripping = (drip.opened, drip.closed)
            a_rows = await rows_of(notify_engine, tenant_a)
        finally:
            stop.set()
            await asyncio.wait_for(worker, 30)

    assert [r.status for r in b_rows] == ["succeeded"] * 3
    assert len(healthy.requests) == 3
    # A's two attempts were open (connected, nothing closed, nothing recorded) then ...
    assert dripping == (2, 0)
    assert sorted(r.status for r in a_rows) == ["delivering"] * 2 + ["pending"] * 10
    assert all(r.logged == 0 for r in a_rows)
    # ... and the flood took no more than A's two slots: the rest were never claimed.
    assert sum(r.attempts for r in a_rows) == 2

    # Stopping the worker cut A's attempts short and gave them back at once.
    await drip.until_closed(2)
    a_rows = await rows_of(notify_engine, tenant_a)
    assert [r.status for r in a_rows] == ["pending"] * 12
    assert not any(r.later for r in a_rows)
    attempts = await attempts_of(notify_engine, tenant_a)
    assert [(a.outcome, a.error) for a in attempts] == [("retry", INTERRUPTED)] * 2


async def test_a_tenant_with_many_dripping_endpoints_does_not_hold_back_another_tenant(
    live_notify, receiver, raw_target, notify_minter, notify_engine
):
    """Tenant A has four endpoints that all drip, and twelve deliveries to them older than
    B's three. The per-target slots alone (4 endpoints x 2) would fill A's share of the whole
    batch (6); the customer's own bound (3) leaves room, so B's deliveries are recorded as
    succeeded while A's attempts are still open, and A never has more than 3 in flight."""
    healthy, healthy_url = receiver
    drip, drip_url = raw_target
    tenant_a, tenant_b = uuid.uuid4(), uuid.uuid4()
    settings = {
        "delivery_batch_size": 6,
        "delivery_target_concurrency": 2,
        "delivery_customer_concurrency": 3,
        "delivery_poll_seconds": 0.05,
        "delivery_deadline_seconds": 50,  # no deadline ends the drip during this test
    }
    async with live_notify(**settings) as app, asgi_client(app) as client:
        for n in range(4):
            await register(client, notify_minter, f"{drip_url}/a{n}", tenant_a)
        await register(client, notify_minter, f"{healthy_url}/b", tenant_b)
        for _ in range(3):  # each to A's four endpoints
            await post_event(client, notify_minter, ticket_event(customer_id=tenant_a))
        for _ in range(3):
            await post_event(client, notify_minter, ticket_event(customer_id=tenant_b))

        stop = asyncio.Event()
        worker = asyncio.create_task(app.state.delivery_worker.run_forever(stop))
        try:
            for _ in range(400):  # bounded: 20 s at most
                b_rows = await rows_of(notify_engine, tenant_b)
                if drip.opened >= 3 and all(r.status == "succeeded" for r in b_rows):
                    break
                await asyncio.sleep(0.05)
            # Read A's side after B's success is in the database: still going on.
            dripping = (drip.opened, drip.closed)
            a_rows = await rows_of(notify_engine, tenant_a)
        finally:
            stop.set()
            await asyncio.wait_for(worker, 30)

    assert [r.status for r in b_rows] == ["succeeded"] * 3
    assert len(healthy.requests) == 3
    # A's three attempts were open (connected, nothing closed, nothing recorded) ...
    assert dripping == (3, 0)
    assert sorted(r.status for r in a_rows) == ["delivering"] * 3 + ["pending"] * 9
    assert all(r.logged == 0 for r in a_rows)
    # ... and no more of A's were claimed, though its endpoints had free slots.
    assert sum(r.attempts for r in a_rows) == 3
    await drip.until_closed(3)


async def test_the_total_deadline_ends_a_drip_and_the_delivery_is_retried(
    live_notify, raw_target, notify_minter, notify_engine
):
    """Every read gets a byte well within the per-step timeout, so only the deadline of the
    whole attempt can end it: it fails with a clear error and is tried again later."""
    drip, drip_url = raw_target
    tenant = uuid.uuid4()
    # A byte every 0.2 s: a read never waits anywhere near the 2.5 s per-step timeout.
    settings = {"delivery_deadline_seconds": 3, "delivery_timeout_seconds": 2.5}
    async with live_notify(**settings) as app, asgi_client(app) as client:
        await register(client, notify_minter, f"{drip_url}/hooks", tenant)
        await post_event(client, notify_minter, ticket_event(customer_id=tenant))
        worker = app.state.delivery_worker
        assert await asyncio.wait_for(worker.run_once(), 30) == 1

        [row] = await rows_of(notify_engine, tenant)
        assert row.status == "pending" and row.later  # retried later, on the schedule
        [attempt] = await attempts_of(notify_engine, tenant)
        assert attempt.outcome == "retry" and attempt.retry_at is not None
        assert attempt.error.startswith("Deadline: no complete answer within 3 s")
        assert attempt.status_code is None
        await drip.until_closed(1)
        assert drip.bytes_sent >= 1  # it was answering, a byte at a time

        drip.mode = "ok"
        await make_due(notify_engine)
        assert await worker.run_once() == 1
        [row] = await rows_of(notify_engine, tenant)
        assert row.status == "succeeded" and row.attempts == 2


async def test_a_gzip_bomb_is_not_inflated(live_notify, raw_target, notify_minter, notify_engine):
    """1 MB of gzip that would inflate to 1 GiB: the attempt keeps an excerpt of the first
    bytes and the process does not grow by anything like the bomb."""
    bomb_target, url = raw_target
    bomb = gzip_bomb()
    assert len(bomb) < 1_100_000
    probe = zlib.decompressobj(zlib.MAX_WBITS | 16)
    assert probe.decompress(bomb[:4096], 1 << 20) == bytes(1 << 20)  # a real, valid bomb
    bomb_target.mode = "send"
    bomb_target.headers = {"Content-Type": "text/plain", "Content-Encoding": "gzip"}
    bomb_target.body = bomb
    tenant = uuid.uuid4()

    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    async with live_notify() as app, asgi_client(app) as client:
        await register(client, notify_minter, f"{url}/hooks", tenant)
        await post_event(client, notify_minter, ticket_event(customer_id=tenant))
        assert await asyncio.wait_for(app.state.delivery_worker.run_once(), 30) == 1
        settings = app.state.settings
    peak_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    [request] = bomb_target.requests
    assert b"accept-encoding: identity" in request.lower()
    [attempt] = await attempts_of(notify_engine, tenant)
    assert attempt.outcome == "succeeded" and attempt.status_code == 200
    # The zeros, as far as the excerpt goes (NUL is not storable text: shown as U+FFFD).
    assert attempt.response_excerpt == "\ufffd" * settings.response_excerpt_chars + "…"
    assert peak_after - peak_before < 200 * 1024  # far from the 1 GiB it inflates to


@pytest.mark.parametrize(
    ("encoding", "body", "expected"),
    [
        # A large answer: only the start is read, and the excerpt says there was more.
        (None, b"x" * 3_000_000, "x" * 1000 + "…"),
        # An encoding we never decode: described, not shown.
        ("br", bytes(range(256)) * 8, "(br-encoded answer of 2048 bytes, not decoded)"),
        # deflate (zlib-wrapped) is read like gzip, up to the cap.
        ("deflate", zlib.compress(b"accepted " * 10), "accepted " * 10),
    ],
)
async def test_answers_are_read_capped_and_decoded_only_up_to_the_cap(
    live_notify, raw_target, notify_minter, notify_engine, encoding, body, expected
):
    target, url = raw_target
    target.mode = "send"
    target.headers = {"Content-Encoding": encoding} if encoding else {}
    target.body = body
    tenant = uuid.uuid4()
    async with live_notify() as app, asgi_client(app) as client:
        await register(client, notify_minter, f"{url}/hooks", tenant)
        await post_event(client, notify_minter, ticket_event(customer_id=tenant))
        assert await asyncio.wait_for(app.state.delivery_worker.run_once(), 30) == 1
    [attempt] = await attempts_of(notify_engine, tenant)
    assert attempt.outcome == "succeeded"
    assert attempt.response_excerpt == expected
