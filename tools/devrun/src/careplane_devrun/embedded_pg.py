"""An embedded PostgreSQL for ``make run`` and ``make test`` on a machine that has none.

Uses the server binaries that the ``pgserver`` package ships, but runs them itself:
listening on 127.0.0.1 on a known port (TCP only), in a data folder we choose, and
stopped explicitly, so no process or lock outlives its owner. Postgres refuses to
run as root; as root the server runs as the unprivileged ``pgserver`` user.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import warnings
from pathlib import Path

from careplane_shared.testing.ports import free_port

DEFAULT_PORT = 54329
SUPERUSER = "postgres"


def _bin_dir() -> Path:
    with warnings.catch_warnings():
        # pgserver looks up a runtime folder at import that we never use.
        warnings.simplefilter("ignore")
        from pgserver._commands import POSTGRES_BIN_PATH
    return Path(POSTGRES_BIN_PATH)


class EmbeddedPostgres:
    def __init__(self, root: Path, *, port: int | None = None, fast_unsafe: bool = False) -> None:
        self.root = root.resolve()
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.preferred_port = port or DEFAULT_PORT
        self.fast_unsafe = fast_unsafe
        self.port: int | None = None
        self.started_here = False
        self._user: str | None = None

    # -- process helpers -------------------------------------------------------------------
    def _run(
        self, program: str, *args: str, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - our own arguments, no shell
            [str(_bin_dir() / program), *args],
            check=True,
            capture_output=True,
            text=True,
            timeout=timeout,
            user=self._user,
            cwd="/",
        )

    def _prepare_user(self) -> None:
        if os.name != "posix" or os.geteuid() != 0:
            return
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from pgserver.utils import (
                ensure_folder_permissions,
                ensure_prefix_permissions,
                ensure_user_exists,
            )

        self._user = "pgserver"
        ensure_user_exists(self._user)
        bins = _bin_dir()
        ensure_prefix_permissions(bins)
        ensure_folder_permissions(bins, 0o055)
        ensure_folder_permissions(bins.parent / "lib", 0o044)
        ensure_folder_permissions(bins.parent / "share", 0o044)
        ensure_prefix_permissions(self.root)
        import pwd

        entry = pwd.getpwnam(self._user)
        for path in (self.root, self.data):
            path.mkdir(parents=True, exist_ok=True)
            os.chown(path, entry.pw_uid, entry.pw_gid)
        self.data.chmod(0o700)
        self.log.touch(exist_ok=True)
        os.chown(self.log, entry.pw_uid, entry.pw_gid)

    # -- lifecycle -----------------------------------------------------------------------------
    def running_port(self) -> int | None:
        """The port of a server already running on this data folder, if any."""
        pid_file = self.data / "postmaster.pid"
        try:
            lines = pid_file.read_text().splitlines()
            pid, port = int(lines[0]), int(lines[3])
        except (OSError, ValueError, IndexError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return port

    def start(self) -> str:
        """Starts (or finds) the server; returns the superuser URL of its ``postgres`` database."""
        self.root.mkdir(parents=True, exist_ok=True)
        self._prepare_user()
        if not (self.data / "PG_VERSION").exists():
            args = ["-D", str(self.data), "--auth=trust", "--encoding=UTF8", "--locale=C"]
            args += [f"--username={SUPERUSER}", "--no-instructions"]
            if self.fast_unsafe:
                args.append("--no-sync")
            self._run("initdb", *args)
        self.port = self.running_port()
        if self.port is None:
            self.port = free_port(self.preferred_port)
            options = [
                "-h 127.0.0.1",
                f"-p {self.port}",
                "-c unix_socket_directories=''",
                "-c max_connections=300",
            ]
            if self.fast_unsafe:
                options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
            try:
                self._run(
                    "pg_ctl",
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.log),
                    "-w",
                    "-t",
                    "60",
                    "-o",
                    " ".join(options),
                    "start",
                    timeout=90,
                )
                self.started_here = True
            except subprocess.CalledProcessError as exc:
                log_tail = self.log.read_text()[-3000:] if self.log.exists() else ""
                raise RuntimeError(
                    f"embedded PostgreSQL failed to start: {exc.stderr}\n{log_tail}"
                ) from exc
        self._wait_accepting()
        return self.url()

    def _wait_accepting(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port or 0), 1),
            ):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"embedded PostgreSQL is not accepting on port {self.port}")
            time.sleep(0.1)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def stop(self, timeout: float = 30) -> None:
        """Fast shutdown. If pg_ctl cannot do it (a pid file it may not read, say), the
        postmaster gets SIGINT itself, which is the same fast shutdown."""
        pid_file = self.data / "postmaster.pid"
        if not pid_file.exists():
            return
        try:
            self._run(
                "pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "30", "stop", timeout=45
            )
            return
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            pass
        try:
            pid = int(pid_file.read_text().splitlines()[0])
            os.kill(pid, signal.SIGINT)
        except (OSError, ValueError, IndexError):
            return  # a stale pid file: already stopped
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        raise RuntimeError(f"embedded PostgreSQL (pid {pid}) did not stop within {timeout} s")
