"""The application factory every piece builds on: middleware, errors, health, metrics, lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from types import FrameType
from typing import Any

import structlog
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Table

from careplane_shared.auth import RemoteJWKS, TokenVerifier
from careplane_shared.db import create_database
from careplane_shared.errors import error_response, install_error_handlers
from careplane_shared.events import OutboxRelay
from careplane_shared.http import ClientCredentialsAuth, create_http_client
from careplane_shared.idempotency import IdempotentReplay, replay_handler
from careplane_shared.leases import RELEASE_TIMEOUT_SECONDS, counting_releases
from careplane_shared.logging import configure_logging
from careplane_shared.observability import RequestContextMiddleware, metrics_endpoint
from careplane_shared.request_guard import RequestGuardMiddleware
from careplane_shared.sampled_metrics import MetricsSampler, Probe
from careplane_shared.settings import BaseServiceSettings, DatabaseSettings
from careplane_shared.tracing import setup_tracing, tracing_of

log = structlog.get_logger(__name__)

ServiceLifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


WORKERS_GRACE_SECONDS = 10.0
"""How long the background loops get to stop at shutdown, their leases' release included
(deploy/k8s: preStop 5 s + uvicorn's drain 20 s + this, inside the 45 s grace period)."""


class BackgroundWorkers:
    """Long-running loops owned by the app (outbox relay, timers, deliveries).

    ``stop`` is set as soon as the process gets SIGTERM (:func:`stop_on_sigterm`), so the
    loops stop claiming while uvicorn still drains the requests, and at the lifespan's end
    at the latest. :meth:`shutdown` then waits for them, cancels the ones still running
    early enough for their releases (:mod:`careplane_shared.leases`) to finish within
    ``grace_seconds``, and returns what happened for the piece's shutdown line."""

    def __init__(self) -> None:
        self.stop = asyncio.Event()
        self._closing = asyncio.Event()  # set by shutdown(), after uvicorn's drain
        self._tasks: list[asyncio.Task[None]] = []
        self._released: Counter[str] = Counter()
        self._summary: dict[str, Any] | None = None
        self.stopping_since = 0.0  # time.monotonic() when shutdown began

    def start(
        self,
        name: str,
        loop: Callable[[asyncio.Event], Coroutine[Any, Any, None]],
        *,
        serves_requests: bool = False,
    ) -> None:
        """Runs ``loop(stop)``. A loop that claims work stops at SIGTERM; one that
        ``serves_requests`` (publishing what they commit) is stopped only by
        :meth:`shutdown`, once the requests have drained."""
        event = self._closing if serves_requests else self.stop
        with counting_releases(self._released):
            self._tasks.append(asyncio.create_task(loop(event), name=name))

    async def shutdown(self, grace_seconds: float = WORKERS_GRACE_SECONDS) -> dict[str, Any]:
        """Stops the loops (once; a second call returns the first one's summary)."""
        if self._summary is not None:
            return self._summary
        self.stop.set()
        self._closing.set()
        started = self.stopping_since = time.monotonic()
        cancelled: list[str] = []
        stuck: list[str] = []
        if self._tasks:
            _, pending = await asyncio.wait(
                self._tasks, timeout=max(grace_seconds - RELEASE_TIMEOUT_SECONDS, 0.0)
            )
            for task in pending:
                cancelled.append(task.get_name())
                task.cancel()
            if pending:
                _, left = await asyncio.wait(pending, timeout=RELEASE_TIMEOUT_SECONDS)
                stuck = [task.get_name() for task in left]
            for task in self._tasks:
                if task.done() and not task.cancelled() and task.exception() is not None:
                    log.error("worker_failed", worker=task.get_name(), error=repr(task.exception()))
        self._summary = {
            "workers": len(self._tasks),
            "workers_cancelled": cancelled,
            "workers_stuck": stuck,
            "leases_released": dict(self._released),
            "workers_stop_s": round(time.monotonic() - started, 3),
        }
        return self._summary


@contextmanager
def stop_on_sigterm(stop: asyncio.Event) -> Iterator[None]:
    """Sets ``stop`` when SIGTERM arrives and hands the signal on to the handler it
    replaces (uvicorn's, which stops accepting connections and drains the requests): the
    background loops stop claiming at once instead of after the drain. Only in the main
    thread, where signals are handled; the previous handler is put back at the end."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    loop = asyncio.get_running_loop()
    previous = signal.getsignal(signal.SIGTERM)

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        with contextlib.suppress(RuntimeError):  # the app's loop already closed
            loop.call_soon_threadsafe(stop.set)
        if callable(previous):
            previous(signum, frame)
        else:  # no handler of Python's before ours: the signal does what it did without us
            signal.signal(signum, previous if previous is not None else signal.SIG_DFL)
            signal.raise_signal(signum)

    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield
    finally:
        if signal.getsignal(signal.SIGTERM) is on_sigterm:
            signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


def create_service_app(
    settings: BaseServiceSettings,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter] = (),
    lifespan: ServiceLifespan | None = None,
    version: str = "0.1.0",
    scope_domain: str | None = None,
    guard_requests: bool = True,
    probes: Sequence[Probe] = (),
) -> FastAPI:
    """Builds a piece's app. ``lifespan`` runs inside the shared one, after the engine,
    the JWKS client and the token verifier exist (it may replace the verifier).
    ``scope_domain`` names the API key scopes this piece checks (``tickets`` →
    ``tickets:read`` / ``tickets:write``). ``guard_requests=False`` leaves out the
    token-before-body and body-size guard, for a piece that brings its own (the gateway).
    ``probes`` feed the backlog gauges (:mod:`careplane_shared.sampled_metrics`), sampled in
    the background when the service runs its workers; ``app.state.metrics_sampler`` runs
    a round on demand (tests)."""

    @asynccontextmanager
    async def shared_lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.service_name, settings.log_level, settings.log_json)
        app.state.settings = settings
        app.state.workers = BackgroundWorkers()
        app.state.shutdown_notes = {}  # what the piece adds to its shutdown line
        if isinstance(settings, DatabaseSettings) and not hasattr(app.state, "database"):
            app.state.database = create_database(settings)
            if (tracing := tracing_of(app)) is not None:
                tracing.instrument_engine(app.state.database.engine)
        if isinstance(settings, DatabaseSettings) and settings.run_workers and probes:
            sampler = app.state.metrics_sampler
            sessionmaker = app.state.database.sessionmaker
            app.state.workers.start(
                "metrics-sampler", lambda stop: sampler.run_forever(sessionmaker, stop)
            )
        jwks_client = create_http_client(settings)
        if not hasattr(app.state, "token_verifier"):
            app.state.token_verifier = TokenVerifier(
                RemoteJWKS(settings.jwks_url, jwks_client, settings.jwks_cache_seconds),
                issuer=settings.jwt_issuer,
                audience=settings.jwt_audience,
            )
        workers: BackgroundWorkers = app.state.workers
        try:
            with stop_on_sigterm(workers.stop):
                if lifespan is None:
                    yield
                else:
                    async with lifespan(app):
                        log.info("started", service=settings.service_name, env=settings.env.value)
                        try:
                            yield
                        finally:
                            # Before the piece's own clean-up: the loops still use its clients.
                            await workers.shutdown()
        finally:
            summary = await workers.shutdown()
            await jwks_client.aclose()
            database = getattr(app.state, "database", None)
            if database is not None:
                await database.dispose()
            # The one line a piece logs at shutdown: what its loops did, what they gave back.
            log.info(
                "stopped",
                service=settings.service_name,
                **summary,
                **app.state.shutdown_notes,
                shutdown_s=round(time.monotonic() - workers.stopping_since, 3),
            )

    app = FastAPI(
        title=title,
        description=description,
        version=version,
        lifespan=shared_lifespan,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.scope_domain = scope_domain
    if isinstance(settings, DatabaseSettings):
        app.state.metrics_sampler = MetricsSampler(
            settings.service_name, probes, settings.metrics_sample_seconds
        )
    install_error_handlers(app)
    app.add_exception_handler(IdempotentReplay, replay_handler)
    if guard_requests:
        app.add_middleware(
            RequestGuardMiddleware,
            routes_of=app,
            max_body_bytes=settings.max_body_bytes,
            max_stream_bytes=settings.max_stream_bytes,
        )
    app.add_middleware(RequestContextMiddleware, service=settings.service_name)
    setup_tracing(app, settings)

    @app.get("/healthz", tags=["health"], summary="Liveness: the process is up.")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": settings.service_name}

    @app.get(
        "/readyz", tags=["health"], summary="Readiness: the process can serve (database reachable)."
    )
    async def readyz(request: Request) -> JSONResponse:
        database = getattr(request.app.state, "database", None)
        if database is not None:
            try:
                await asyncio.wait_for(database.ping(), timeout=2.0)
            except Exception as exc:
                log.warning("not_ready", error=repr(exc))
                return error_response(503, "NOT_READY", "The database is not reachable.")
        return JSONResponse({"status": "ready", "service": settings.service_name})

    app.add_route("/metrics", metrics_endpoint, include_in_schema=False)
    for router in routers:
        app.include_router(router)
    return app


def start_outbox_relay(app: FastAPI, settings: DatabaseSettings, table: Table) -> None:
    """Runs this service's outbox relay inside the process (dev; production may run it apart)."""
    client = create_http_client(
        settings,
        auth=ClientCredentialsAuth(settings.token_url, settings.client_id, settings.client_secret),
    )
    relay = OutboxRelay(
        app.state.database.sessionmaker,
        table,
        client,
        settings.outbox_targets,
        batch_size=settings.outbox_batch_size,
        lease_seconds=settings.outbox_lease_seconds,
        poll_seconds=settings.outbox_poll_seconds,
        min_round_seconds=settings.outbox_min_round_seconds,
    )

    async def run(stop: asyncio.Event) -> None:
        try:
            await relay.run_forever(stop)
        finally:
            await client.aclose()

    app.state.workers.start("outbox-relay", run)
