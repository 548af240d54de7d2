"""The whole stack with every piece replicated, each piece behind its own proxy.

Built from the runner's parts (careplane_devrun): a fresh embedded PostgreSQL, the
migrations, the demo data, the production profile's wiring and made-up secrets, and its
supervisor for the uvicorn processes. Only the URLs differ from ``serve``: every piece is
told the proxies' addresses (``child_environment`` gets the proxy ports as the pieces'
ports), so a caller never knows which replica answers and survives one being killed.
Only the first tickets replica runs the inbound SMTP listener.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from _harness import clean_environment
from chaos_proxy import Proxy

from careplane_devrun.commands import load_demo_data
from careplane_devrun.console import Console
from careplane_devrun.databases import apply_migrations, provide_databases
from careplane_devrun.layout import Layout
from careplane_devrun.production import ensure_signing_keys, run_secrets
from careplane_devrun.supervisor import Child, Supervisor
from careplane_devrun.topology import PIECES, SERVICES, Piece, Profile, child_environment
from careplane_shared.testing.ports import free_port

READY_SECONDS = 120.0


@dataclass
class Replica:
    piece: Piece
    number: int  # 1, 2, ...
    port: int
    env: dict[str, str]
    child: Child | None = None

    @property
    def label(self) -> str:
        return f"{self.piece.name}-{self.number}"


@dataclass
class ReplicatedStack:
    supervisor: Supervisor
    layout: Layout
    proxies: dict[str, Proxy]
    replicas: dict[str, list[Replica]]
    database_urls: dict[str, str]  # asyncpg URLs (postgresql://...) per service
    kills: dict[str, int] = field(default_factory=dict)  # SIGKILLs per piece
    down_seconds: dict[str, float] = field(default_factory=dict)  # per piece, all replicas dead

    def url(self, piece: str) -> str:
        return f"http://127.0.0.1:{self.proxies[piece].port}"

    async def kill(self, piece: str, numbers: tuple[int, ...]) -> None:
        """SIGKILL to the replicas named (their process groups), waiting until they are gone."""
        for replica in self.replicas[piece]:
            if replica.number in numbers and replica.child is not None:
                replica.child.send(signal.SIGKILL)
                await replica.child.process.wait()
                self.kills[piece] = self.kills.get(piece, 0) + 1

    async def start(self, piece: str, numbers: tuple[int, ...]) -> None:
        """(Re)starts the replicas named and waits until they answer /readyz."""
        started = []
        for replica in self.replicas[piece]:
            if replica.number in numbers:
                replica.child = await self.supervisor.start(
                    replica.piece,
                    replica.port,
                    replica.env,
                    log_file=self.layout.logs / f"{replica.label}.log",
                )
                started.append(replica.child)
        await self.supervisor.wait_ready(READY_SECONDS, started)

    def serving(self, piece: str) -> bool:
        """Whether any replica of the piece is running."""
        return any(r.child is not None and r.child.running for r in self.replicas[piece])

    async def outage(
        self,
        piece: str,
        numbers: tuple[int, ...],
        seconds: float,
        *,
        before_restart: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """Kills the replicas named, keeps them down ``seconds``, runs ``before_restart``,
        starts them again; while no replica of the piece runs, until one is ready again,
        counts as the piece's downtime."""
        went_down = time.monotonic()
        await self.kill(piece, numbers)
        everyone = not self.serving(piece)
        await asyncio.sleep(seconds)
        if before_restart is not None:
            await before_restart()
        await self.start(piece, numbers)
        if everyone:
            self.down_seconds[piece] = (
                self.down_seconds.get(piece, 0.0) + time.monotonic() - went_down
            )


@contextlib.asynccontextmanager
async def replicated_stack(
    extra: Mapping[str, str], *, replicas: int = 2, smtp_port: int
) -> AsyncIterator[ReplicatedStack]:
    """Every piece ``replicas`` times on free ports, its proxy in front, in the production
    profile; ``extra`` adds to (and wins over) the pieces' environment. Mail goes to
    ``smtp_port``. Stopped, and its data folder removed, on exit."""
    folder = Path(tempfile.mkdtemp(prefix="careplane-chaos-"))
    environ = clean_environment(
        {"CAREPLANE_DATA_DIR": str(folder / "data"), "CAREPLANE_PG_PORT": str(free_port())}
    )
    environ.update(extra)
    layout = Layout.discover(environ)
    console = Console()
    try:
        async with contextlib.AsyncExitStack() as stack:
            databases = await provide_databases(
                SERVICES, layout, environ, console, stack, owns_data=True
            )
            supervisor = Supervisor(console, layout)
            stack.push_async_callback(supervisor.stop)
            await apply_migrations(databases.urls, layout, console)
            await load_demo_data(databases.urls, console)
            ensure_signing_keys(layout.keys)
            secrets = run_secrets((piece.name for piece in PIECES), layout.keys)
            proxy_ports = {piece.name: free_port() for piece in PIECES}
            inbound_port = free_port()
            built = ReplicatedStack(
                supervisor,
                layout,
                proxies={},
                replicas={},
                database_urls={
                    name: url.replace("postgresql+asyncpg://", "postgresql://", 1)
                    for name, url in databases.urls.items()
                },
            )
            for piece in PIECES:
                env = child_environment(
                    piece,
                    proxy_ports,
                    databases.urls,
                    layout,
                    environ,
                    smtp_port,
                    inbound_smtp_port=inbound_port,
                    profile=Profile.PRODUCTION,
                    secrets=secrets,
                )
                own = [
                    Replica(piece, number, free_port(), dict(env))
                    for number in range(1, replicas + 1)
                ]
                for replica in own[1:]:
                    replica.env.pop("TICKETS_INBOUND_SMTP_PORT", None)
                built.replicas[piece.name] = own
                proxy = Proxy(piece.name, proxy_ports[piece.name], [r.port for r in own])
                await proxy.start()
                stack.push_async_callback(proxy.close)
                built.proxies[piece.name] = proxy
            everyone = tuple(range(1, replicas + 1))
            for piece in PIECES:
                await built.start(piece.name, everyone)
            yield built
    finally:
        shutil.rmtree(folder, ignore_errors=True)
