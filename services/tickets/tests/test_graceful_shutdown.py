"""SIGTERM to a real tickets process (uvicorn, as the image starts it): the request in
flight completes with its normal answer, new connections are refused, the mail in
progress on the SMTP listener is stored and answered while new SMTP sessions are refused,
and the process exits 0 within the Kubernetes grace period with its shutdown line."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from careplane_shared.auth import Role
from careplane_shared.testing import TokenMinter, serve_on_loopback
from careplane_shared.testing.ports import free_port
from careplane_shared.testing.service import ServiceDatabase

GRACE_SECONDS = 45.0  # terminationGracePeriodSeconds in deploy/k8s
DRAIN_SECONDS = 20  # uvicorn's --timeout-graceful-shutdown in deploy/docker/Dockerfile
READY_SECONDS = 60.0
SUPPORT = "support@careplane.example"

# uvicorn ends a graceful shutdown by raising the signal it caught again, with the default
# handler back. In the image uvicorn is PID 1, and the kernel drops a signal PID 1 has no
# handler for, so the process exits 0; ignoring SIGTERM before uvicorn starts does the same
# here (uvicorn installs its own handler over it, and puts the ignoring back at the end).
LAUNCH = (
    "import runpy, signal, sys; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    "sys.argv = ['uvicorn', *sys.argv[1:]]; runpy.run_module('uvicorn', run_name='__main__')"
)


@pytest.fixture
async def jwks_url() -> AsyncIterator[tuple[TokenMinter, str]]:
    """The token issuer the process trusts: a real JWKS endpoint on 127.0.0.1."""
    minter = TokenMinter()
    issuer = FastAPI()

    @issuer.get("/.well-known/jwks.json")
    async def jwks() -> dict[str, Any]:
        return minter.jwks

    async with serve_on_loopback(issuer) as url:
        yield minter, f"{url}/.well-known/jwks.json"


class Piece:
    """One ``uvicorn tickets.main:create_app`` process and its output lines (read as they
    come, so a full pipe never blocks it)."""

    def __init__(self, env: dict[str, str], port: int, cwd: Path) -> None:
        command = [
            sys.executable, "-c", LAUNCH, "tickets.main:create_app", "--factory",
            "--host", "127.0.0.1", "--port", str(port), "--lifespan", "on",
            "--timeout-graceful-shutdown", str(DRAIN_SECONDS),
        ]  # fmt: skip
        self.port = port
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            command,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_SECONDS
        with httpx.Client(trust_env=False, timeout=2.0) as client:
            while time.monotonic() < deadline:
                assert self.process.poll() is None, "\n".join(self.lines[-40:])
                try:
                    if client.get(f"{self.url}/readyz").status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
        pytest.fail(f"tickets was not ready within {READY_SECONDS} s")

    def logged(self) -> list[dict[str, Any]]:
        """The JSON log lines, once the process has ended."""
        self.reader.join(10)
        return [json.loads(line) for line in self.lines if line.startswith("{")]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture
def piece_factory(tmp_path: Path) -> Iterator[Any]:
    started: list[Piece] = []

    def start(env: dict[str, str]) -> Piece:
        piece = Piece(env, free_port(), tmp_path)
        started.append(piece)
        return piece

    yield start
    for piece in started:
        piece.stop()


def _environment(
    database_url: str, jwks: str, minter: TokenMinter, smtp_port: int, tmp: Path
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TICKETS_", "CAREPLANE_"))}
    env.update(
        {
            "TICKETS_ENV": "test",
            "TICKETS_LOG_JSON": "true",
            "TICKETS_DATABASE_URL": database_url,
            "TICKETS_JWKS_URL": jwks,
            "TICKETS_JWT_ISSUER": minter.issuer,
            "TICKETS_JWT_AUDIENCE": minter.audience,
            "TICKETS_ATTACHMENTS_DIR": str(tmp / "attachments"),
            "TICKETS_INBOUND_SMTP_HOST": "127.0.0.1",
            "TICKETS_INBOUND_SMTP_PORT": str(smtp_port),
            # Room for a slow machine between the signal and the test's DATA.
            "TICKETS_INBOUND_SMTP_DRAIN_SECONDS": "15",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError:
        return True
    return False


async def _until(check: Any, seconds: float, what: str) -> None:
    """Waits (bounded) for ``check()`` to hold; fails saying ``what`` did not happen."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.05)
    pytest.fail(f"{what} within {seconds} s")


def _mail() -> bytes:
    message = EmailMessage()
    message["From"] = "someone@customer.example"
    message["To"] = SUPPORT
    message["Subject"] = "Sent while the service stops"
    message["Message-ID"] = "<shutdown-test@customer.example>"
    message.set_content("The SMTP listener finishes this mail before it closes.")
    return message.as_bytes()


async def test_sigterm_drains_the_request_in_flight_and_exits_0(
    committed_database: ServiceDatabase,
    jwks_url: tuple[TokenMinter, str],
    piece_factory: Any,
    tmp_path: Path,
) -> None:
    minter, jwks = jwks_url
    dsn = committed_database.url.replace("postgresql+asyncpg://", "postgresql://")
    cleaner = await asyncpg.connect(dsn)
    await cleaner.execute("DELETE FROM inbound_messages")
    await cleaner.close()
    smtp_port = free_port()
    piece: Piece = piece_factory(
        _environment(committed_database.url, jwks, minter, smtp_port, tmp_path)
    )
    await asyncio.to_thread(piece.wait_ready)
    headers = minter.headers(Role.ADMIN)

    holder = await asyncpg.connect(dsn)
    watcher = await asyncpg.connect(dsn)
    smtp = smtplib.SMTP("127.0.0.1", smtp_port, timeout=30)
    try:
        # The request in flight: it waits for the lock the test holds on the table it reads.
        locked = holder.transaction()
        await locked.start()
        await holder.execute("LOCK TABLE ideas IN ACCESS EXCLUSIVE MODE")
        client = httpx.AsyncClient(trust_env=False, timeout=60.0)
        in_flight = asyncio.create_task(client.get(f"{piece.url}/v1/ideas", headers=headers))

        async def waiting_on_lock() -> bool:
            waiting = await watcher.fetchval(
                "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                "WHERE c.relname = 'ideas' AND NOT l.granted"
            )
            return bool(waiting)

        await _until(waiting_on_lock, 20, "the request did not reach the locked table")
        # The mail in progress: its envelope given, its DATA not yet sent.
        await asyncio.to_thread(smtp.ehlo)
        assert (await asyncio.to_thread(smtp.mail, "someone@customer.example"))[0] == 250
        assert (await asyncio.to_thread(smtp.rcpt, SUPPORT))[0] == 250

        signalled_at = time.monotonic()
        piece.process.send_signal(signal.SIGTERM)

        async def smtp_refused() -> bool:
            return await asyncio.to_thread(_refused, smtp_port)

        async def http_refused() -> bool:
            return await asyncio.to_thread(_refused, piece.port)

        await _until(smtp_refused, 10, "the SMTP listener still accepted connections")
        code, answer = await asyncio.to_thread(smtp.data, _mail())
        assert code == 250, answer
        await _until(http_refused, 10, "uvicorn still accepted connections")
        assert not in_flight.done()

        await locked.rollback()
        response = await in_flight
        await client.aclose()
        assert response.status_code == 200, response.text
        assert response.json()["items"] == []

        returncode = await asyncio.to_thread(piece.process.wait, GRACE_SECONDS)
        assert returncode == 0
        assert time.monotonic() - signalled_at < GRACE_SECONDS
        stored = await watcher.fetchval("SELECT count(*) FROM inbound_messages")
        assert stored == 1
    finally:
        smtp.close()
        await holder.close()
        await watcher.close()

    lines = piece.logged()
    stopped = [line for line in lines if line.get("event") == "stopped"]
    assert len(stopped) == 1, lines[-10:]
    assert stopped[0]["workers_cancelled"] == []
    assert stopped[0]["workers_stuck"] == []
    assert stopped[0]["smtp_mail_in_progress"] == 1
    assert stopped[0]["smtp_mail_cut_off"] == 0
