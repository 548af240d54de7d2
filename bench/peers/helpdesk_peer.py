"""django-helpdesk 2.6.1, the peer Careplane's figures are compared against, started
reproducibly on the PostgreSQL of the same run.

Usage (bench scripts run with bench/ on sys.path)::

    from peers.helpdesk_peer import running_helpdesk

    with running_helpdesk("postgresql://postgres@127.0.0.1:5432/postgres", port) as peer:
        # POST f"{peer.base_url}{peer.create_path}" json=peer.ticket_body(n), headers=peer.headers
        # GET  f"{peer.base_url}{peer.fetch_path(ticket_id)}"               (helpdesk's own)
        # GET  f"{peer.base_url}{peer.fetch_path(ticket_id, direct=True)}"  (loop removed)
        # CPU: utime + stime of every pid in peer.pids(), read from /proc/<pid>/stat

What runs: the recipe of docs/performance.md. django-helpdesk, gunicorn with 2 sync
workers, psycopg 3, DRF token authentication, the dummy mail backend (helpdesk renders
its new-ticket mail and the backend discards it), ``DEBUG = False``,
``CONN_MAX_AGE = 600``; every version pinned in helpdesk/requirements.txt and installed
into its own virtualenv, ``.data/bench/helpdesk-venv``, created on first use. Nothing of
it is imported here: this module is standard library only and drives the peer's own
interpreter through bounded subprocesses, so none of its dependencies reach the
project's .venv.

Reads, fairly: helpdesk's ``GET /helpdesk/api/tickets/<id>/`` walks every ticket the
user can see before it filters by id, so it slows down as the table grows (about 7/s at
1 000 tickets). ``fetch_path(id, direct=True)`` is the same fetch with that loop removed
(``/helpdesk-direct/api/tickets/<id>/``, helpdesk/direct_fetch.py): same permissions,
serializer and response. Compare Careplane's reads with that one, and report the
original beside it.

On entry: the venv is created or brought up to the pins if needed (under a file lock),
the database ``bench_helpdesk`` is dropped and created on the given server, migrations
run, one staff superuser with a token and one queue are created, and gunicorn is
started on 127.0.0.1:<port> and waited for. On exit gunicorn is stopped (SIGTERM, then
SIGKILL after a bounded wait); the database is left as it is for inspection. gunicorn's
error log is ``.data/bench/helpdesk-<port>.log``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import http.client
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
PROJECT = Path(__file__).resolve().parent / "helpdesk"
REQUIREMENTS = PROJECT / "requirements.txt"
DATA = ROOT / ".data" / "bench"
DEFAULT_VENV = DATA / "helpdesk-venv"
DATABASE = "bench_helpdesk"
WORKERS = 2

_INSTALLED_MARK = ".careplane-requirements.sha256"
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclasses.dataclass(frozen=True)
class HelpdeskPeer:
    """A running peer: where it listens, how to call it, which processes to account."""

    base_url: str
    token: str
    queue_id: int
    master_pid: int
    seconds_to_ready: float

    create_path: ClassVar[str] = "/helpdesk/api/tickets/"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Token {self.token}"}

    def fetch_path(self, ticket_id: int, *, direct: bool = False) -> str:
        """helpdesk's own fetch, or (``direct=True``) the one without its loop."""
        prefix = "/helpdesk-direct/api" if direct else "/helpdesk/api"
        return f"{prefix}/tickets/{ticket_id}/"

    def ticket_body(self, n: int) -> dict[str, object]:
        """The JSON body of create number ``n``, as helpdesk's API docs describe it."""
        return {
            "queue": self.queue_id,
            "title": f"Printer on floor {n % 40} is offline",
            "description": "It shows error E-102 since this morning; restarting did not help.",
            "submitter_email": f"customer{n}@example.com",
            "priority": 3,
        }

    def pids(self) -> list[int]:
        """The gunicorn master and its workers as they are now (a worker that timed out
        is replaced under a new pid, so read this before and after a load)."""
        return [self.master_pid, *_children(self.master_pid)]


def ensure_venv(venv: Path = DEFAULT_VENV) -> Path:
    """Create the peer's virtualenv, or bring it to requirements.txt, and return its
    interpreter. Does nothing when it already matches; a stale one is rebuilt from
    scratch so no package of an older pin lingers. Safe to call from two processes."""
    python = venv / "bin" / "python"
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    mark = venv / _INSTALLED_MARK
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.parent / f"{venv.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if mark.exists() and mark.read_text().strip() == wanted and python.exists():
            return python
        _run([sys.executable, "-m", "venv", "--clear", str(venv)], timeout=180)
        _run(
            [
                str(python),
                *("-m", "pip", "install", "--quiet", "--disable-pip-version-check"),
                *("--requirement", str(REQUIREMENTS)),
            ],
            timeout=900,
        )
        mark.write_text(wanted + "\n")
    return python


@contextlib.contextmanager
def running_helpdesk(
    postgres_url: str,
    port: int,
    *,
    venv: Path = DEFAULT_VENV,
    database: str = DATABASE,
    ready_timeout: float = 60.0,
) -> Iterator[HelpdeskPeer]:
    """The peer on 127.0.0.1:``port``, with a fresh ``database`` on the PostgreSQL of
    ``postgres_url`` (any database of that server, e.g. ``.../postgres``; a SQLAlchemy
    driver suffix such as ``+asyncpg`` is ignored). Yields once it answers."""
    python = ensure_venv(venv)
    maintenance_url = _plain_postgres_url(postgres_url)
    media = DATA / "helpdesk-media"
    media.mkdir(parents=True, exist_ok=True)
    env = _peer_env(
        HELPDESK_PEER_DATABASE_URL=_with_database(maintenance_url, database),
        HELPDESK_PEER_MAINTENANCE_URL=maintenance_url,
        HELPDESK_PEER_SECRET_KEY=secrets.token_urlsafe(48),
        HELPDESK_PEER_MEDIA_ROOT=str(media),
    )
    prepared = _run([str(python), "prepare.py"], timeout=300, env=env, cwd=PROJECT)
    seed = json.loads(prepared.stdout.strip().splitlines()[-1])

    log_path = DATA / f"helpdesk-{port}.log"
    started = time.monotonic()
    with open(log_path, "w") as log:
        process = subprocess.Popen(  # noqa: S603 - the peer venv's interpreter, fixed arguments
            [
                str(python),
                *("-m", "gunicorn", "wsgi:application"),
                *("--bind", f"127.0.0.1:{port}"),
                *("--workers", str(WORKERS), "--worker-class", "sync"),
                *("--timeout", "60", "--graceful-timeout", "10"),
                # gunicorn >= 25 opens a control socket at one fixed path per user;
                # two peers (or another helper's) would fight over it.
                "--no-control-socket",
                *("--log-level", "warning", "--error-logfile", "-"),
            ],
            cwd=PROJECT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    peer = HelpdeskPeer(
        base_url=f"http://127.0.0.1:{port}",
        token=seed["token"],
        queue_id=seed["queue_id"],
        master_pid=process.pid,
        seconds_to_ready=0.0,
    )
    try:
        _wait_until_ready(peer, port, process, log_path, ready_timeout)
        yield dataclasses.replace(peer, seconds_to_ready=time.monotonic() - started)
    finally:
        _stop(process)


def _wait_until_ready(
    peer: HelpdeskPeer,
    port: int,
    process: subprocess.Popen[bytes],
    log_path: Path,
    timeout: float,
) -> None:
    """Until a fetch of a ticket that does not exist answers 404 (Django, the token
    and the database all work) and both workers are up."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None or time.monotonic() > deadline:
            tail = log_path.read_text(errors="replace").splitlines()[-30:]
            raise RuntimeError("the django-helpdesk peer did not start:\n" + "\n".join(tail))
        with contextlib.suppress(OSError, http.client.HTTPException):
            status = _get_status(port, peer.fetch_path(0, direct=True), peer.headers)
            if status == 404 and len(peer.pids()) == 1 + WORKERS:
                return
        time.sleep(0.2)


def _get_status(port: int, path: str, headers: dict[str, str]) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def _stop(process: subprocess.Popen[bytes], wait: float = 20.0) -> None:
    """SIGTERM to the master (it stops its workers within --graceful-timeout), then
    SIGKILL to whatever of it is left."""
    if process.poll() is not None:
        return
    workers = _children(process.pid)
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(wait)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)
    for pid in workers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _children(pid: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone while we looked
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return sorted(children)


def _plain_postgres_url(url: str) -> str:
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0]
    if scheme not in {"postgresql", "postgres"}:
        raise ValueError(f"not a PostgreSQL URL: {url!r}")
    if parts.hostname not in _LOOPBACK:
        raise ValueError(f"the peer's PostgreSQL must be on loopback, not {parts.hostname!r}")
    return urlunsplit(("postgresql", parts.netloc, parts.path, parts.query, ""))


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, ""))


def _peer_env(**extra: str) -> dict[str, str]:
    """The caller's environment without what would point the peer's interpreter at the
    project's packages or settings."""
    dropped = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "DJANGO_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    env.update(DJANGO_SETTINGS_MODULE="settings", PYTHONDONTWRITEBYTECODE="1", **extra)
    return env


def _run(
    command: list[str], *, timeout: float, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    try:
        result = subprocess.run(  # noqa: S603 - our interpreters, fixed arguments
            command,
            cwd=cwd,
            env=env if env is not None else _peer_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(f"{command[1:3]} took longer than {timeout:.0f} s") from exc
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command[:4])} failed ({result.returncode}):\n{result.stderr[-3000:]}"
        )
    return result
