"""Shared bench plumbing: the whole stack started the way `make run` starts it, and a
bounded closed-loop load generator. Everything talks to 127.0.0.1 only."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from httpx_aiohttp import AiohttpTransport

from careplane_shared.testing.ports import free_port

ROOT = Path(__file__).resolve().parents[1]
PIECES = ("gateway", "tickets", "contracts", "notify")
READY_LINE = "Careplane is ready"


@dataclass
class Stack:
    ports: dict[str, int]
    pg_port: int
    runner_pid: int
    seconds_to_ready: float

    def url(self, piece: str) -> str:
        return f"http://127.0.0.1:{self.ports[piece]}"


@contextlib.contextmanager
def running_stack(timeout: float = 120) -> Iterator[Stack]:
    """`python -m careplane_devrun` on free ports with a fresh embedded PostgreSQL:
    the bench measures what `make run` runs."""
    folder = Path(tempfile.mkdtemp(prefix="careplane-bench-"))
    ports = {piece: free_port() for piece in PIECES}
    pg_port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TICKETS_", "CONTRACTS_", "NOTIFY_", "GATEWAY_", "CAREPLANE_"))
    }
    env.update(
        {
            "CAREPLANE_DATA_DIR": str(folder / "data"),
            "CAREPLANE_PG_PORT": str(pg_port),
            "NO_COLOR": "1",
            "PYTHONUNBUFFERED": "1",
            # Quiet logs: the bench measures the service, not the terminal.
            "TICKETS_LOG_LEVEL": "WARNING",
            "CONTRACTS_LOG_LEVEL": "WARNING",
            "NOTIFY_LOG_LEVEL": "WARNING",
            "GATEWAY_LOG_LEVEL": "WARNING",
            # One bench token sends far more than any real caller may: the gateway's
            # request limits are off here (an empty limit), everything else as configured.
            "GATEWAY_RATE_LIMIT_PER_PRINCIPAL": "",
            "GATEWAY_RATE_LIMIT_PER_ADDRESS": "",
            **{f"{piece.upper()}_PORT": str(port) for piece, port in ports.items()},
        }
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "careplane_devrun"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    )
    ready = threading.Event()
    tail: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            tail.append(line.rstrip())
            del tail[:-40]
            if READY_LINE in line:
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    started = time.monotonic()
    try:
        deadline = time.monotonic() + timeout
        while not ready.wait(0.2):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the stack did not start:\n" + "\n".join(tail))
        yield Stack(ports, pg_port, process.pid, time.monotonic() - started)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class LoadResult:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    def line(self, label: str) -> str:
        return (
            f"{label}: {self.rate:,.0f} requests/s, p50 {self.percentile(50):.1f} ms, "
            f"p99 {self.percentile(99):.1f} ms ({self.requests} requests, {self.errors} errors, "
            f"{self.seconds:.1f} s)"
        )


Call = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


async def closed_loop(
    call: Call,
    *,
    concurrency: int = 16,
    seconds: float = 10.0,
    max_requests: int = 200_000,
    warmup_seconds: float = 2.0,
    ok: Callable[[httpx.Response], bool] = lambda r: r.status_code < 400,
) -> LoadResult:
    """`concurrency` workers each send one request at a time, for `seconds` after a
    warm-up, never more than `max_requests` in all."""
    async with httpx.AsyncClient(
        transport=AiohttpTransport(), timeout=30, limits=httpx.Limits(max_connections=concurrency)
    ) as client:
        counter = 0

        async def worker(until: float, latencies: list[float] | None) -> tuple[int, int]:
            nonlocal counter
            done = errors = 0
            while time.monotonic() < until and counter < max_requests:
                counter += 1
                started = time.perf_counter()
                try:
                    response = await call(client, counter)
                    good = ok(response)
                except httpx.HTTPError:
                    good = False
                if latencies is not None:
                    latencies.append((time.perf_counter() - started) * 1000)
                done += 1
                errors += 0 if good else 1
            return done, errors

        await asyncio.gather(
            *(worker(time.monotonic() + warmup_seconds, None) for _ in range(concurrency))
        )
        counter = 0
        latencies: list[float] = []
        started = time.monotonic()
        results = await asyncio.gather(
            *(worker(started + seconds, latencies) for _ in range(concurrency))
        )
        elapsed = time.monotonic() - started
    return LoadResult(
        requests=sum(r[0] for r in results),
        errors=sum(r[1] for r in results),
        seconds=elapsed,
        latencies_ms=latencies,
    )


def median(values: list[float]) -> float:
    return statistics.median(values)


@contextlib.contextmanager
def bare_app(database_url: str) -> Iterator[str]:
    """The bare baseline app of docs/performance.md on a free port; yields its base URL."""
    port = free_port()
    env = {**os.environ, "BARE_DATABASE_URL": database_url}
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bare_app:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=Path(__file__).parent,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/docs", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the bare app did not start")
            time.sleep(0.2)
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()


def database_url(stack: Stack, database: str) -> str:
    """A database on the stack's own PostgreSQL (created by the caller if needed)."""
    return f"postgresql+asyncpg://postgres@127.0.0.1:{stack.pg_port}/{database}"
