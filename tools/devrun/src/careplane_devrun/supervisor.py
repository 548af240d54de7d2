"""The child processes of ``make run``: started in their own process groups (and told to
die with the runner), their output relayed line by line (or written to a log file of
their own), watched until ready, stopped in order; and the signals that stop the runner
itself."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from careplane_devrun.console import Console
from careplane_devrun.layout import HOST, DevRunError, Layout, base_url, elapsed
from careplane_devrun.topology import Piece
from careplane_shared.app import WORKERS_GRACE_SECONDS

_PR_SET_PDEATHSIG = 1
_libc: Any = None


def _load_libc() -> Any:
    global _libc
    if _libc is None and sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            _libc = ctypes.CDLL(None, use_errno=True)
    return _libc


def _die_with_parent() -> None:
    """Runs in the child before exec: SIGTERM it if the runner itself is killed outright."""
    if _libc is not None:
        _libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM))


@dataclass
class Child:
    piece: Piece
    port: int
    process: asyncio.subprocess.Process
    output: asyncio.Task[None] | None  # None: the child writes to its log file itself
    log_file: Path | None = None

    @property
    def running(self) -> bool:
        return self.process.returncode is None

    @property
    def url(self) -> str:
        return base_url(self.port)

    def send(self, sig: signal.Signals) -> None:
        # Each child leads its own process group; signal the group so nothing it forked
        # survives it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, sig)


async def _relay_output(piece: Piece, stream: asyncio.StreamReader, console: Console) -> None:
    pending = b""
    while chunk := await stream.read(65536):
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for raw in lines:
            console.child(piece, raw.decode(errors="replace").rstrip("\r"))
    if pending:
        console.child(piece, pending.decode(errors="replace").rstrip("\r"))


@dataclass
class Supervisor:
    """Starts, watches and stops the uvicorn children."""

    console: Console
    layout: Layout
    # uvicorn's drain of the requests at SIGTERM (--timeout-graceful-shutdown): short in
    # dev, the image's 20 s for `serve`.
    drain_seconds: int = 5
    force: asyncio.Event = field(default_factory=asyncio.Event)
    children: list[Child] = field(default_factory=list)

    @property
    def grace_seconds(self) -> float:
        """How long a stopping piece may take before it is killed: the drain, then the
        background workers' stop (their leases released), and a margin."""
        return self.drain_seconds + WORKERS_GRACE_SECONDS + 5.0

    async def start(
        self,
        piece: Piece,
        port: int,
        env: Mapping[str, str],
        *,
        workers: int | None = None,
        log_file: Path | None = None,
    ) -> Child:
        """One uvicorn process for ``piece`` (with ``workers`` worker processes under it if
        given). Its output is relayed with the piece's name, or appended to ``log_file``
        without passing through the runner."""
        command = [
            sys.executable, "-m", "uvicorn", f"{piece.module}:create_app", "--factory",
            "--host", HOST, "--port", str(port),
            "--lifespan", "on", "--timeout-graceful-shutdown", str(self.drain_seconds),
        ]  # fmt: skip
        if workers is not None:
            command += ["--workers", str(workers)]
        _load_libc()
        with contextlib.ExitStack() as files:
            if log_file is None:
                stdout: int | Any = subprocess.PIPE
            else:
                log_file.parent.mkdir(parents=True, exist_ok=True)
                stdout = files.enter_context(log_file.open("ab"))
            process = await asyncio.create_subprocess_exec(
                *command,
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=subprocess.STDOUT,
                env=dict(env),
                cwd=self.layout.root,
                process_group=0,  # Ctrl-C reaches the runner only; it stops the children itself
                preexec_fn=_die_with_parent,  # only calls prctl(2): safe after fork
            )
        output = None
        if process.stdout is not None:
            output = asyncio.create_task(
                _relay_output(piece, process.stdout, self.console), name=f"{piece.name}-output"
            )
        child = Child(piece=piece, port=port, process=process, output=output, log_file=log_file)
        self.children.append(child)
        return child

    async def wait_ready(self, within: float, children: Sequence[Child] | None = None) -> None:
        """Until every child (or every one of ``children``) answers ``/readyz``."""
        deadline = time.monotonic() + within
        try:
            async with (
                httpx.AsyncClient(trust_env=False, timeout=2.0) as client,
                asyncio.TaskGroup() as group,
            ):
                for child in self.children if children is None else children:
                    group.create_task(self._wait_child_ready(child, client, deadline, within))
        except ExceptionGroup as group_error:
            # Report the first piece that failed, plainly; the others were cancelled.
            first = group_error.exceptions[0]
            if isinstance(first, DevRunError):
                raise first from None
            raise

    async def _wait_child_ready(
        self, child: Child, client: httpx.AsyncClient, deadline: float, within: float
    ) -> None:
        last = "no answer yet"
        while True:
            if not child.running:
                where = "above" if child.log_file is None else f"in {child.log_file}"
                raise DevRunError(
                    f"{child.piece.name} exited with code {child.process.returncode} before it "
                    f"was ready; its last lines are {where}"
                )
            try:
                response = await client.get(f"{child.url}/readyz")
            except httpx.HTTPError as exc:
                last = f"{type(exc).__name__}"
            else:
                if response.status_code == 200:
                    return
                last = f"HTTP {response.status_code}: {response.text[:200]}"
            if time.monotonic() > deadline:
                raise DevRunError(
                    f"{child.piece.name} was not ready within {within:.0f} s "
                    f"(GET {child.url}/readyz: {last})"
                )
            await asyncio.sleep(0.2)

    async def first_exit(self) -> Child:
        waiters = {asyncio.ensure_future(child.process.wait()): child for child in self.children}
        try:
            done, _ = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
        return waiters[next(iter(done))]

    async def stop(self) -> None:
        alive = [child for child in self.children if child.running]
        if alive:
            started = time.monotonic()
            self.console.say(f"stopping {', '.join(child.piece.name for child in alive)}")
            for child in alive:
                child.send(signal.SIGKILL if self.force.is_set() else signal.SIGTERM)
            exited: asyncio.Future[Any] = asyncio.gather(*(child.process.wait() for child in alive))
            forced: asyncio.Future[Any] = asyncio.ensure_future(self.force.wait())
            await asyncio.wait(
                {exited, forced}, timeout=self.grace_seconds, return_when=asyncio.FIRST_COMPLETED
            )
            forced.cancel()
            for child in alive:
                if child.running:
                    self.console.warn(f"{child.piece.name} is still running: killing it")
                    child.send(signal.SIGKILL)
            await exited
            self.console.say(f"all pieces stopped ({elapsed(started)})")
        outputs = [child.output for child in self.children if child.output is not None]
        if outputs:
            _, unfinished = await asyncio.wait(outputs, timeout=2)
            for task in unfinished:
                task.cancel()


# -- signals ----------------------------------------------------------------------------------


@dataclass
class Shutdown:
    """The first SIGINT/SIGTERM cancels the work in progress; cleanup then runs in order.
    Another signal a while later kills the children at once instead of waiting for them.

    Copies of the first signal that arrive right after it are ignored: wrappers such as
    ``uv run`` forward the Ctrl-C that the terminal already delivered to us.
    """

    console: Console
    task: asyncio.Task[Any]
    requested: bool = False
    cleaning: bool = False
    force: asyncio.Event = field(default_factory=asyncio.Event)
    first_signal_at: float | None = None
    duplicate_window_seconds: float = 1.0

    def install(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            loop.add_signal_handler(sig, self._on_signal, sig)

    def _on_signal(self, sig: signal.Signals) -> None:
        now = time.monotonic()
        if self.first_signal_at is None:
            self.first_signal_at = now
            if not self.cleaning:
                self.requested = True
                self.console.say(f"{sig.name} received: shutting down (again to force)")
                self.task.cancel()
                return
        elif now - self.first_signal_at < self.duplicate_window_seconds:
            return
        if not self.force.is_set():
            self.console.warn(f"{sig.name} received: killing what is left")
            self.force.set()
