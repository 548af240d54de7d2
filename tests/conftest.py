"""End-to-end harness: ``python -m careplane_devrun`` as a real process, the way
``make run`` starts it, on free ports with its own data folder and embedded PostgreSQL."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
import pytest

from careplane_shared.testing.ports import free_port

ROOT = Path(__file__).resolve().parents[1]
PIECES = ("gateway", "tickets", "contracts", "notify")
READY_LINE = "Careplane is ready"
# Variables that would point the runner at another database or other ports.
FOREIGN_PREFIXES = ("TICKETS_", "CONTRACTS_", "NOTIFY_", "GATEWAY_", "CAREPLANE_")


def _free_ports(count: int) -> list[int]:
    ports: set[int] = set()
    while len(ports) < count:
        ports.add(free_port())
    return sorted(ports)


@dataclass
class DevRun:
    """One ``make run`` process and what it printed."""

    process: subprocess.Popen[str]
    data_dir: Path
    ports: dict[str, int]
    lines: list[str] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)

    def url(self, piece: str) -> str:
        return f"http://127.0.0.1:{self.ports[piece]}"

    @property
    def postmaster_pid_file(self) -> Path:
        return self.data_dir / "pg" / "data" / "postmaster.pid"

    def output(self, last: int = 80) -> str:
        return "\n".join(self.lines[-last:])

    def read_output(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            if READY_LINE in line:
                self.ready.set()

    def wait_ready(self, timeout: float) -> float:
        """Seconds until the ready line; fails with the output if it never comes."""
        started = time.monotonic()
        deadline = started + timeout
        while not self.ready.wait(0.2):
            if self.process.poll() is not None:
                pytest.fail(
                    f"make run exited with {self.process.returncode} before it was ready:\n"
                    + self.output()
                )
            if time.monotonic() > deadline:
                pytest.fail(f"make run was not ready within {timeout} s:\n" + self.output())
        return time.monotonic() - started

    def processes(self) -> list[psutil.Process]:
        """The runner's children (uvicorn) and the embedded PostgreSQL's postmaster."""
        found = psutil.Process(self.process.pid).children(recursive=True)
        pid = int(self.postmaster_pid_file.read_text().splitlines()[0])
        found.append(psutil.Process(pid))
        return found

    def interrupt(self, timeout: float) -> int:
        """Ctrl-C, as a terminal sends it; the exit code (fails if it hangs)."""
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"make run did not stop within {timeout} s after SIGINT:\n" + self.output())

    def client(self) -> httpx.Client:
        return httpx.Client(trust_env=False, timeout=10)


def _environment(
    data_dir: Path, ports: dict[str, int], pg_port: int, smtp_port: int
) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(FOREIGN_PREFIXES) and not key.endswith("_DATABASE_URL")
    }
    env.update(
        {
            "CAREPLANE_DATA_DIR": str(data_dir),
            "CAREPLANE_PG_PORT": str(pg_port),
            # The dev mail sink on a free port of its own, not make run's 8025: a make run
            # (or another runner) on the same machine may hold that one.
            "CAREPLANE_SMTP_PORT": str(smtp_port),
            # The runner's own bound stays inside the test's, so a slow machine fails with
            # the runner's message about which piece was not ready.
            "CAREPLANE_READY_TIMEOUT": "100",
            "NO_COLOR": "1",
            "PYTHONUNBUFFERED": "1",
            **{f"{piece.upper()}_PORT": str(port) for piece, port in ports.items()},
        }
    )
    return env


StartDevRun = Callable[[Path], DevRun]


@pytest.fixture
def devrun_data_dir() -> Iterator[Path]:
    """A fresh data folder outside pytest's ``tmp_path``: every pytest process (each xdist
    worker too) resets ``/tmp/pytest-of-<user>`` to mode 0700, which would lock the embedded
    PostgreSQL's own user (when the tests run as root) out of its data folder."""
    path = Path(tempfile.mkdtemp(prefix="careplane-e2e-"))
    yield path / "data"
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def start_devrun() -> Iterator[StartDevRun]:
    """``start_devrun(data_dir)`` starts the runner on fresh free ports; whatever it leaves
    running is stopped at the end, whatever the test's outcome."""
    runs: list[DevRun] = []
    leftovers: list[psutil.Process] = []

    def start(data_dir: Path) -> DevRun:
        *piece_ports, pg_port, smtp_port = _free_ports(len(PIECES) + 2)
        ports = dict(zip(PIECES, piece_ports, strict=True))
        process = subprocess.Popen(
            [sys.executable, "-m", "careplane_devrun"],
            cwd=ROOT,
            env=_environment(data_dir, ports, pg_port, smtp_port),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
        run = DevRun(process=process, data_dir=data_dir, ports=ports)
        threading.Thread(target=run.read_output, daemon=True).start()
        runs.append(run)
        return run

    yield start

    for run in runs:
        if run.process.poll() is None:
            with contextlib.suppress(psutil.Error):
                leftovers.extend(psutil.Process(run.process.pid).children(recursive=True))
            run.process.send_signal(signal.SIGINT)
            try:
                run.process.wait(45)
            except subprocess.TimeoutExpired:
                run.process.kill()
                run.process.wait()
    for process in leftovers:
        with contextlib.suppress(psutil.Error):
            process.kill()
    for run in runs:
        _stop_postmaster(run.postmaster_pid_file)


def _stop_postmaster(pid_file: Path) -> None:
    """Fast shutdown of a server the runner left behind (pg_ctl refuses to run as root)."""
    try:
        postmaster = psutil.Process(int(pid_file.read_text().splitlines()[0]))
        postmaster.send_signal(signal.SIGINT)
        postmaster.wait(30)
    except (OSError, ValueError, IndexError, psutil.Error):
        pass


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The tenancy suite's counts of what it checked (from every worker's reports)."""
    lines = [
        str(value)
        for key in ("passed", "failed")
        for report in terminalreporter.stats.get(key, [])
        for name, value in getattr(report, "user_properties", [])
        if name == "tenancy"
    ]
    if lines:
        terminalreporter.write_sep("-", "tenancy")
        for line in lines:
            terminalreporter.write_line(line)
