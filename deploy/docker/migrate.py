"""A service image's migrations: ``upgrade`` applies them, ``wait`` blocks until they are applied.

    python /app/migrate.py upgrade       # the migration Job: alembic upgrade head
    python /app/migrate.py wait          # an init container: exit 0 once the database is at
                                         # this image's head, or ahead of it (a rollback)

The piece comes from ``CAREPLANE_PIECE`` (baked into the image), its Alembic scripts from
``CAREPLANE_SERVICE_DIR`` (``/app/service``), the database from ``<PIECE>_DATABASE_URL``: the
same variable the service reads, so the Job and the Deployment share one Secret key.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

SERVICES = ("tickets", "contracts", "notify")


def _target() -> tuple[str, Path, str]:
    piece = os.environ.get("CAREPLANE_PIECE", "")
    if piece not in SERVICES:
        sys.exit(f"CAREPLANE_PIECE must be one of {', '.join(SERVICES)} (got {piece!r})")
    service_dir = Path(os.environ.get("CAREPLANE_SERVICE_DIR", "/app/service"))
    if not (service_dir / "alembic.ini").is_file():
        sys.exit(f"{service_dir / 'alembic.ini'} is missing")
    variable = f"{piece.upper()}_DATABASE_URL"
    url = os.environ.get(variable, "")
    if not url:
        sys.exit(f"set {variable}")
    return piece, service_dir, url


def _say(piece: str, message: str) -> None:
    print(f"{piece} migrations: {message}", flush=True)


async def _current_heads(url: str) -> set[str]:
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import pool
    from sqlalchemy.engine import Connection
    from sqlalchemy.ext.asyncio import create_async_engine

    def heads(connection: Connection) -> set[str]:
        return set(MigrationContext.configure(connection).get_current_heads())

    engine = create_async_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(heads)
    finally:
        await engine.dispose()


def state(service_dir: Path, url: str) -> str:
    """``current``, ``behind`` (or empty) or ``ahead`` (revisions this image does not know)."""
    from alembic.script import ScriptDirectory

    from careplane_shared.migrations import alembic_config

    script = ScriptDirectory.from_config(alembic_config(service_dir, url))
    current = asyncio.run(_current_heads(url))
    if current == set(script.get_heads()):
        return "current"
    known = {revision.revision for revision in script.walk_revisions()}
    if current - known:
        return "ahead"
    return "behind"


def upgrade() -> int:
    from careplane_shared.migrations import upgrade as alembic_upgrade

    piece, service_dir, url = _target()
    started = time.monotonic()
    alembic_upgrade(service_dir, url)
    _say(piece, f"at head ({time.monotonic() - started:.1f}s)")
    return 0


def wait(timeout: float, interval: float) -> int:
    piece, service_dir, url = _target()
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = state(service_dir, url)
        except Exception as exc:  # the database may not answer yet
            found = f"unknown ({exc!r})"
        if found == "current":
            _say(piece, "the database is at this image's head")
            return 0
        if found == "ahead":
            _say(piece, "the database is ahead of this image (a rollback?); starting anyway")
            return 0
        if time.monotonic() >= deadline:
            _say(piece, f"still {found} after {timeout:.0f}s; is the migration Job running?")
            return 1
        _say(piece, f"{found}; waiting for the migration Job")
        time.sleep(interval)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("upgrade", help="apply every migration (alembic upgrade head)")
    waiting = sub.add_parser("wait", help="wait until the database is at this image's head")
    waiting.add_argument("--timeout", type=float, default=600.0)
    waiting.add_argument("--interval", type=float, default=3.0)
    args = parser.parse_args(argv)
    if args.command == "upgrade":
        return upgrade()
    return wait(args.timeout, args.interval)


if __name__ == "__main__":
    sys.exit(main())
