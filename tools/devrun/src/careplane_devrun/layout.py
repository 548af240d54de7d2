"""Where the code and the local data live, and the values the runner reads from the
environment."""

from __future__ import annotations

import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"


class DevRunError(Exception):
    """A failure with a message that tells the developer what to do; no traceback."""


@dataclass(frozen=True)
class Layout:
    """Where the code and the local data live."""

    root: Path
    data: Path

    @classmethod
    def discover(cls, environ: Mapping[str, str]) -> Layout:
        root = repo_root()
        configured = environ.get("CAREPLANE_DATA_DIR")
        data = Path(configured).expanduser().resolve() if configured else root / ".data"
        return cls(root=root, data=data)

    def service_dir(self, service: str) -> Path:
        return self.root / "services" / service

    @property
    def pg_root(self) -> Path:
        return self.data / "pg"

    @property
    def keys(self) -> Path:
        return self.data / "keys"

    @property
    def lock_file(self) -> Path:
        return self.data / "devrun.lock"

    @property
    def logs(self) -> Path:
        """Where ``serve`` writes each piece's log (``<piece>.log``)."""
        return self.data / "logs"

    @property
    def mailbox(self) -> Path:
        """Where notify's dev SMTP sink keeps every mail it receives (.eml files)."""
        return self.data / "mailbox"


def repo_root() -> Path:
    """The workspace root: the folder that holds ``services/`` and ``gateway/``."""

    def is_root(path: Path) -> bool:
        return (path / "services").is_dir() and (path / "pyproject.toml").is_file()

    for start in (Path.cwd(), Path(__file__).resolve()):
        for candidate in (start, *start.parents):
            if is_root(candidate):
                return candidate
    raise DevRunError("cannot find the Careplane checkout: run this from its root folder")


def int_env(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise DevRunError(f"{name}={raw!r} is not a number") from None


def float_env(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise DevRunError(f"{name}={raw!r} is not a number") from None


def check_port_free(port: int, owner: str) -> None:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            env = f"{owner.upper()}_PORT"
            raise DevRunError(
                f"port {port} for {owner} is already in use on {HOST}; stop whatever holds it "
                f"or choose another with {env}=..."
            ) from None


def base_url(port: int) -> str:
    return f"http://{HOST}:{port}"


def elapsed(since: float) -> str:
    return f"{time.monotonic() - since:.1f} s"
