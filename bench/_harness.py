"""The stack the benches measure, and what runs beside it, all on 127.0.0.1.

``running_stack()`` starts ``python -m careplane_devrun serve`` (the production profile:
``ENV=production``, JSON logs at INFO written to a file per piece, secrets made for the
run, each piece as ``uvicorn --workers N``) on free ports with a fresh embedded
PostgreSQL; ``running_stack(production=False)`` starts ``make run``'s dev profile
instead. ``running_sinks()`` starts the SMTP sink and webhook receiver of ``_sinks.py``;
``running_bare_app()`` the bare FastAPI baseline of docs/performance.md on the same
PostgreSQL. The module names of the pieces come from the runner's topology, not from
here.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import psutil
from _cpu import postmaster_pid

from careplane_devrun.topology import PIECES
from careplane_shared.testing.ports import free_port

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
READY_LINE = "Careplane is ready"
_OWN_PREFIXES = ("TICKETS_", "CONTRACTS_", "NOTIFY_", "GATEWAY_", "CAREPLANE_")


@dataclass
class Stack:
    ports: dict[str, int]
    pg_port: int
    data: Path
    launcher: subprocess.Popen[str]
    workers: int | None
    seconds_to_ready: float

    def url(self, piece: str) -> str:
        return f"http://127.0.0.1:{self.ports[piece]}"

    def log_file(self, piece: str) -> Path:
        return self.data / "logs" / f"{piece}.log"

    def server_url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.pg_port}/{database}"

    def piece_roots(self) -> dict[str, int]:
        """Each piece's uvicorn process (the parent of its workers), by piece name."""
        roots = {}
        for child in psutil.Process(self.launcher.pid).children():
            command = " ".join(child.cmdline())
            for piece in PIECES:
                if f"{piece.module}:create_app" in command:
                    roots[piece.name] = child.pid
        missing = {piece.name for piece in PIECES} - set(roots)
        if missing:
            raise RuntimeError(f"no process found for {', '.join(sorted(missing))}")
        return roots

    def postmaster_pid(self) -> int:
        return postmaster_pid(self.data / "pg" / "data")


def clean_environment(extra: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without the pieces' own settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OWN_PREFIXES)}
    env.update({"NO_COLOR": "1", "PYTHONUNBUFFERED": "1", **extra})
    return env


@contextlib.contextmanager
def running_stack(
    *,
    production: bool = True,
    workers: int | None = None,
    environ: Mapping[str, str] | None = None,
    timeout: float = 240,
    keep_logs: Path | None = None,
) -> Iterator[Stack]:
    """The whole stack on free ports with its own data folder and embedded PostgreSQL,
    stopped (and the folder removed) on exit. ``environ`` adds to the pieces' environment
    (a value set there wins over the runner's wiring). With ``keep_logs`` the pieces' log
    files and the runner's output are copied there (replacing an earlier run's) on exit."""
    folder = Path(tempfile.mkdtemp(prefix="careplane-bench-"))
    ports = {piece.name: free_port() for piece in PIECES}
    pg_port = free_port()
    env = clean_environment(
        {
            "CAREPLANE_DATA_DIR": str(folder / "data"),
            "CAREPLANE_PG_PORT": str(pg_port),
            "CAREPLANE_READY_TIMEOUT": str(timeout),
            **{f"{name.upper()}_PORT": str(port) for name, port in ports.items()},
            **(environ or {}),
        }
    )
    command = [sys.executable, "-m", "careplane_devrun"]
    if production:
        command += ["serve"] + (["--workers", str(workers)] if workers else [])
    else:
        # notify's own mail sink in dev: a free port, not 8025, which a `make run` may hold.
        env.setdefault("CAREPLANE_SMTP_PORT", str(free_port()))
    process = subprocess.Popen(  # noqa: S603 - our interpreter, our runner
        command,
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
            del tail[:-60]
            if READY_LINE in line:
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    started = time.monotonic()
    try:
        deadline = started + timeout + 60
        while not ready.wait(0.2):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the stack did not start:\n" + "\n".join(tail))
        chosen = (workers or os.cpu_count() or 1) if production else None
        yield Stack(ports, pg_port, folder / "data", process, chosen, time.monotonic() - started)
    finally:
        _stop(process, 90)
        if keep_logs is not None:
            shutil.rmtree(keep_logs, ignore_errors=True)
            keep_logs.mkdir(parents=True)
            if (folder / "data" / "logs").is_dir():
                shutil.copytree(folder / "data" / "logs", keep_logs, dirs_exist_ok=True)
            (keep_logs / "runner.log").write_text("\n".join(tail) + "\n")
        shutil.rmtree(folder, ignore_errors=True)


def _stop(process: subprocess.Popen[str] | subprocess.Popen[bytes], wait: float) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(wait)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@dataclass
class Sinks:
    smtp_port: int
    http_port: int
    pid: int

    @property
    def webhook_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/hooks"

    def counts(self) -> dict[str, int]:
        response = httpx.get(f"http://127.0.0.1:{self.http_port}/counts", timeout=5)
        return dict(response.json())

    def seen(self) -> dict[str, dict[str, int]]:
        """How often each webhook-id and each Message-ID arrived."""
        response = httpx.get(f"http://127.0.0.1:{self.http_port}/seen", timeout=5)
        return dict(response.json())


@contextlib.contextmanager
def running_sinks() -> Iterator[Sinks]:
    """The SMTP sink and the webhook receiver of ``_sinks.py``, in a process of their own."""
    smtp_port, http_port = free_port(), free_port()
    process = subprocess.Popen(  # noqa: S603 - our interpreter, our module
        [sys.executable, str(HERE / "_sinks.py"), str(smtp_port), str(http_port)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        if process.stdout.readline().strip() != "ready":
            raise RuntimeError("the mail and webhook sinks did not start")
        yield Sinks(smtp_port, http_port, process.pid)
    finally:
        _stop(process, 15)


BARE_TABLE = """
CREATE TABLE IF NOT EXISTS bare_items (
    id uuid PRIMARY KEY, subject varchar(300) NOT NULL, body text NOT NULL
)
"""


async def create_database(server_url: str, name: str, *, setup: str = "") -> str:
    """A fresh database ``name`` on the server (dropped first if it exists); its URL."""
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = server_url.rsplit("/", 1)[0] + f"/{name}"
    if setup:
        connection = await asyncpg.connect(url)
        try:
            await connection.execute(setup)
        finally:
            await connection.close()
    return url


@dataclass
class BareApp:
    url: str
    pid: int


@contextlib.contextmanager
def running_bare_app(database_url: str, workers: int | None) -> Iterator[BareApp]:
    """The bare baseline of docs/performance.md (``bare_app.py``) with as many uvicorn
    workers as the stack's pieces; its table must exist (``BARE_TABLE``)."""
    port = free_port()
    env = {
        **os.environ,
        "BARE_DATABASE_URL": database_url.replace("postgresql://", "postgresql+asyncpg://", 1),
    }
    command = [
        sys.executable, "-m", "uvicorn", "bare_app:app", "--host", "127.0.0.1",
        "--port", str(port), "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    if workers:
        command += ["--workers", str(workers)]
    process = subprocess.Popen(  # noqa: S603 - our interpreter and module
        command, cwd=HERE, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/docs", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the bare app did not start")
            time.sleep(0.2)
        yield BareApp(url, process.pid)
    finally:
        _stop(process, 15)


def request_lines(stack: Stack, piece: str, request_id: str) -> list[dict[str, object]]:
    """The access-log lines a piece wrote for requests carrying ``request_id`` (the
    gateway passes its request id on to every service call it makes)."""
    lines = []
    with contextlib.suppress(FileNotFoundError):
        for raw in stack.log_file(piece).read_text(errors="replace").splitlines():
            if request_id not in raw or not raw.startswith("{"):
                continue
            with contextlib.suppress(ValueError):
                entry = json.loads(raw)
                if entry.get("event") == "request" and entry.get("request_id") == request_id:
                    lines.append(entry)
    return lines
