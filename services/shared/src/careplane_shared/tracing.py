"""OpenTelemetry traces: off unless the standard ``OTEL_*`` variables turn them on.

Nothing is installed while tracing is off: no middleware, no wrapped transport, no
statement listener, so a request costs what it cost before (docs/performance.md). With
``OTEL_TRACES_EXPORTER=otlp`` (http/protobuf to ``OTEL_EXPORTER_OTLP_ENDPOINT``) or
``console``, and unless ``OTEL_SDK_DISABLED=true``, each piece gets:

- a server span per request (FastAPI), its parent taken from the caller's ``traceparent``;
- a client span per call to another piece, which sends ``traceparent`` on;
- a span per SQL statement made inside traced work (a worker's idle polls make none);
- a consumer span per event an inbox acts on, parented to the ``traceparent`` the event
  carries from the request that wrote it (:func:`event_span`), and the same for each
  delivery notify makes of it.

The process builds one provider (sampler, batch processor and exporter read their own
``OTEL_*`` variables) and sets it as the global one once. ``service.name`` is the piece's
name unless ``OTEL_SERVICE_NAME`` or ``OTEL_RESOURCE_ATTRIBUTES`` says otherwise. Tests
build many apps in one process: they give each app a provider of their own with
:func:`instrument_app`, before the app starts, and the globals stay untouched.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import structlog
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.trace import Link, SpanKind, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from sqlalchemy.ext.asyncio import AsyncEngine

from careplane_shared.settings import BaseServiceSettings

if TYPE_CHECKING:
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter

# The SDK, the exporter and the instrumentations are imported only once tracing is on: a
# process that does not trace does not load them (about 5 MB resident).

log = structlog.get_logger(__name__)

TRACER_NAME = "careplane"
# The CloudEvents Distributed Tracing extension's attributes.
TRACE_CONTEXT_KEYS = ("traceparent", "tracestate")
# Probes and scrapes: a span each would bury the requests that matter.
UNTRACED_URLS = "/healthz,/readyz,/metrics"

_PROPAGATOR = TraceContextTextMapPropagator()


@dataclass(frozen=True, slots=True)
class Tracing:
    """One app's tracing: the provider its spans go to and Careplane's own tracer."""

    provider: trace.TracerProvider
    tracer: Tracer

    def transport(self, inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        """``inner`` with a client span per request, which sends ``traceparent`` along."""
        from opentelemetry.instrumentation.httpx import AsyncOpenTelemetryTransport

        if isinstance(inner, AsyncOpenTelemetryTransport):
            return inner
        return AsyncOpenTelemetryTransport(inner, tracer_provider=self.provider)

    def instrument_engine(self, engine: AsyncEngine) -> None:
        """A span per statement on ``engine``, inside traced work only."""
        from opentelemetry.metrics import get_meter

        tracer = self.provider.get_tracer("opentelemetry.instrumentation.sqlalchemy")
        # The instrumentation counts pool connections too; the global meter provider is a
        # no-op unless a process sets one.
        usage = get_meter(TRACER_NAME).create_up_down_counter("db.client.connections.usage")
        _statement_tracer()(tracer, engine.sync_engine, usage)


def _statement_tracer() -> Any:
    """The SQLAlchemy instrumentation's listener, less the root spans: a statement of a
    worker's poll (outbox relay, timers, deliveries), outside any traced work, would
    otherwise be a trace of its own every half second."""
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer

    class StatementTracer(EngineTracer):
        def _before_cur_exec(
            self, conn: Any, cursor: Any, statement: Any, params: Any, context: Any, many: bool
        ) -> Any:
            if not trace.get_current_span().get_span_context().is_valid:
                return statement, params
            return super()._before_cur_exec(  # type: ignore[no-untyped-call]
                conn, cursor, statement, params, context, many
            )

    return StatementTracer


def exporters_from_env() -> list[SpanExporter]:
    """The exporters ``OTEL_TRACES_EXPORTER`` names (``otlp``, ``console``; comma
    separated); none when it is unset or ``none``, or when ``OTEL_SDK_DISABLED`` is true."""
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return []
    names = [n.strip().lower() for n in os.environ.get("OTEL_TRACES_EXPORTER", "").split(",")]
    exporters: list[SpanExporter] = []
    for name in filter(None, names):
        if name == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporters.append(OTLPSpanExporter())
        elif name == "console":
            from opentelemetry.sdk.trace.export import ConsoleSpanExporter

            exporters.append(ConsoleSpanExporter())
        elif name != "none":
            log.warning("tracing_exporter_unknown", exporter=name, known="otlp, console, none")
    return exporters


def resource_for(service_name: str) -> Resource:
    """``OTEL_RESOURCE_ATTRIBUTES`` and ``OTEL_SERVICE_NAME``, with the piece's name as
    ``service.name`` when neither names one."""
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource

    resource = Resource.create()
    if str(resource.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        resource = resource.merge(Resource({SERVICE_NAME: service_name}))
    return resource


_process_provider: TracerProvider | None = None


def process_provider(service_name: str) -> TracerProvider | None:
    """This process's provider, built (and set as the global one) by the first app that
    asks while the environment turns tracing on; None while it is off."""
    global _process_provider
    if _process_provider is None:
        exporters = exporters_from_env()
        if not exporters:
            return None
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        provider = TracerProvider(resource=resource_for(service_name))
        for exporter in exporters:
            provider.add_span_processor(BatchSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
        _process_provider = provider
        log.info("tracing_on", service=service_name, exporters=os.environ["OTEL_TRACES_EXPORTER"])
    return _process_provider


def setup_tracing(app: FastAPI, settings: BaseServiceSettings) -> None:
    """Called by the app factory: instruments ``app`` when the environment turns tracing
    on, and does nothing otherwise."""
    provider = process_provider(settings.service_name)
    if provider is not None:
        instrument_app(app, provider)


def instrument_app(app: FastAPI, provider: trace.TracerProvider) -> Tracing:
    """Traces ``app`` into ``provider``: its requests now, and from its lifespan on its
    database and its clients of the other pieces. Call it before the app starts; an app
    already traced keeps its provider."""
    existing = tracing_of(app)
    if existing is not None:
        return existing
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    tracing = Tracing(provider, provider.get_tracer(TRACER_NAME))
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=provider,
        excluded_urls=UNTRACED_URLS,
        # One span per request, not one more per ASGI message.
        exclude_spans=["receive", "send"],
    )
    app.state.tracing = tracing
    return tracing


def tracing_of(app: FastAPI) -> Tracing | None:
    """The app's tracing, or None while it is off."""
    tracing: Tracing | None = getattr(app.state, "tracing", None)
    return tracing


def tracer_of(app: FastAPI) -> Tracer | None:
    tracing = tracing_of(app)
    return tracing.tracer if tracing is not None else None


def current_trace_context() -> dict[str, str]:
    """``traceparent`` (and ``tracestate``, if any) of the span in progress; empty when
    there is none, as always while tracing is off."""
    carrier: dict[str, str] = {}
    if trace.get_current_span().get_span_context().is_valid:
        _PROPAGATOR.inject(carrier)
    return carrier


@contextmanager
def event_span(
    tracer: Tracer | None,
    name: str,
    carrier: Mapping[str, Any],
    attributes: Mapping[str, str | int] | None = None,
) -> Iterator[None]:
    """A consumer span for work done on behalf of an event, parented to the trace context
    ``carrier`` holds (an event's or a delivery's ``traceparent``) and linked to the span in
    progress (the inbox's request); without one it is a child of the span in progress. No
    span at all without a tracer."""
    if tracer is None:
        yield
        return
    context = {k: v for k in TRACE_CONTEXT_KEYS if isinstance(v := carrier.get(k), str)}
    parent = None
    links = []
    if context:
        parent = _PROPAGATOR.extract(context)
        current = trace.get_current_span().get_span_context()
        if current.is_valid:
            links.append(Link(current))
    with tracer.start_as_current_span(
        name, context=parent, kind=SpanKind.CONSUMER, links=links, attributes=attributes
    ):
        yield
