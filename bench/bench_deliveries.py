"""Signed webhook deliveries per second to a local receiver.

A fresh notify database (embedded PostgreSQL, or a database created on the server in
CAREPLANE_BENCH_DATABASE_URL), one global webhook endpoint on a receiver that answers 200
in a separate uvicorn process on 127.0.0.1, and N pending deliveries queued through the
real intake routing. Then the real delivery workers (claim with SKIP LOCKED and a lease,
sign, post, log the attempt, settle the row) run until every delivery succeeded or the time
limit is reached. Prints the figure; asserts nothing. Bounded: N deliveries, 90 s at most.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from _cpu import CpuMeter, Usage, postmaster_pid
from _goals import record
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from careplane_devrun.embedded_pg import EmbeddedPostgres
from careplane_shared.db import create_database
from careplane_shared.events import CloudEvent
from careplane_shared.logging import configure_logging
from careplane_shared.migrations import upgrade
from careplane_shared.testing.ports import free_port
from notify.channels.base import ChannelServices
from notify.channels.http import create_target_client
from notify.channels.registry import build_channels
from notify.config import NotifySettings
from notify.deliveries.worker import DeliveryWorker
from notify.models import Delivery, WebhookEndpoint
from notify.routing import route_event
from notify.webhooks.signing import new_secret

ROOT = Path(__file__).resolve().parents[1]
DELIVERIES = int(os.environ.get("BENCH_DELIVERIES", "5000"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
TIME_LIMIT = 90.0

RECEIVER = """
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})
"""


def start_receiver(folder: Path) -> tuple[subprocess.Popen[bytes], int]:
    (folder / "bench_receiver.py").write_text(RECEIVER)
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench_receiver:app",
            "--port",
            str(port),
            "--host",
            "127.0.0.1",
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=folder,
    )
    return process, port


async def wait_listening(port: int, within_seconds: float = 15) -> None:
    deadline = time.monotonic() + within_seconds
    while time.monotonic() < deadline:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.05)
    raise RuntimeError("the receiver did not start")


async def admin(server_url: str, statement: str) -> None:
    connection = await asyncpg.connect(server_url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def measure(database_url: str, receiver_port: int, meter: CpuMeter) -> None:
    await asyncio.to_thread(upgrade, ROOT / "services" / "notify", database_url)
    settings = NotifySettings(
        env="test",
        database_url=database_url,
        log_json=False,
        log_level="WARNING",
        allow_private_targets=True,
        delivery_batch_size=200,
        delivery_max_connections=64,
        # One receiver stands for many: the per-target limit that keeps one slow tenant
        # from stalling the others (8 by default) would measure politeness, not the worker.
        delivery_target_concurrency=100,
        database_pool_size=10,
        staff_addresses=[],
    )
    configure_logging(settings.service_name, settings.log_level, settings.log_json)
    database = create_database(settings)
    http = create_target_client(settings)
    try:
        async with database.sessionmaker() as session, session.begin():
            session.add(
                WebhookEndpoint(
                    url=f"http://127.0.0.1:{receiver_port}/hooks",
                    event_types=["*"],
                    secret=new_secret(),
                    created_by="bench",
                )
            )
        # Through the real routing, in batches (one event → one delivery here).
        for start in range(0, DELIVERIES, 500):
            async with database.sessionmaker() as session, session.begin():
                for n in range(start, min(start + 500, DELIVERIES)):
                    await route_event(
                        session,
                        CloudEvent(
                            id=str(uuid.uuid4()),
                            source="bench",
                            type="ticket.escalated",
                            time=datetime.now(UTC),
                            data={"number": f"CS-{n:06d}", "status": "ESCALATED"},
                        ),
                        settings,
                    )
        services = ChannelServices(
            settings=settings,
            http=http,
            raise_event=lambda session, event: route_event(session, event, settings),
        )
        channels = build_channels(services)
        workers = [
            DeliveryWorker(database.sessionmaker, channels, settings) for _ in range(WORKERS)
        ]

        async def work(worker: DeliveryWorker, deadline: float) -> int:
            done = 0
            while time.monotonic() < deadline:
                handled = await worker.run_once()
                if handled == 0:
                    break
                done += handled
            return done

        before = meter.read()
        started = time.perf_counter()
        deadline = time.monotonic() + TIME_LIMIT
        handled = sum(await asyncio.gather(*(work(w, deadline) for w in workers)))
        elapsed = time.perf_counter() - started
        usage = CpuMeter.usage(before, meter.read())
        async with database.sessionmaker() as session:
            succeeded = await session.scalar(
                select(func.count()).where(Delivery.status == "succeeded")
            )
        cpu = usage.bench + usage.groups.get("postgres", 0.0)
        record(
            "webhooks_per_second",
            (succeeded or 0) / elapsed,
            f"{WORKERS} workers, one receiver; "
            f"{(succeeded or 0) / cpu if cpu else 0:,.0f} per CPU second of workers + PostgreSQL",
        )
        print(
            f"signed webhook deliveries: {succeeded}/{DELIVERIES} succeeded "
            f"({handled} attempts) in {elapsed:.2f} s with {WORKERS} workers "
            f"→ {(succeeded or 0) / elapsed:,.0f} deliveries/s (goal: ≥ 500/s)"
        )
        print(cpu_line(usage, succeeded or 0))
    finally:
        await http.aclose()
        await database.dispose()


def cpu_line(usage: Usage, delivered: int) -> str:
    """CPU per delivery: the workers (this process), PostgreSQL and the receiver. Unlike
    the rate, it does not depend on what else the machine is doing."""
    if not delivered:
        return "CPU per delivery: nothing was delivered"
    workers = usage.bench
    database = usage.groups.get("postgres", 0.0)
    receiver = usage.groups["receiver"]
    per_cpu_second = delivered / (workers + database) if workers + database else 0.0
    return (
        f"CPU per delivery: workers {workers * 1000 / delivered:.2f} ms, PostgreSQL "
        f"{database * 1000 / delivered:.2f} ms, receiver {receiver * 1000 / delivered:.2f} ms "
        f"→ {per_cpu_second:,.0f} deliveries per CPU second of workers and PostgreSQL"
        + ("" if "postgres" in usage.groups else " (PostgreSQL not on this machine: not counted)")
    )


async def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="careplane-bench-deliveries-"))
    server_url = os.environ.get("CAREPLANE_BENCH_DATABASE_URL")
    embedded = None
    if not server_url:
        embedded = EmbeddedPostgres(folder / "pg", port=free_port(), fast_unsafe=True)
        server_url = await asyncio.to_thread(embedded.start)
    name = f"bench_notify_{uuid.uuid4().hex[:8]}"
    url = make_url(server_url).set(drivername="postgresql+asyncpg", database=name)
    receiver, port = start_receiver(folder)
    try:
        await wait_listening(port)
        await admin(server_url, f'CREATE DATABASE "{name}"')
        roots = {"receiver": receiver.pid}
        if embedded is not None:
            roots["postgres"] = postmaster_pid(embedded.data)
        await measure(url.render_as_string(hide_password=False), port, CpuMeter(roots))
    finally:
        receiver.terminate()
        receiver.wait(timeout=10)
        await admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if embedded is not None:
            await asyncio.to_thread(embedded.stop)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
