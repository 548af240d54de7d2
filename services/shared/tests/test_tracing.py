"""Tracing's switches: the standard OTEL_* variables, off unless they name an exporter; an
app traced into a provider of its own; events carrying the trace context of the span in
progress and an inbox continuing it."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from careplane_shared.events import new_event
from careplane_shared.tracing import (
    event_span,
    exporters_from_env,
    instrument_app,
    resource_for,
    tracing_of,
)

OTEL_VARIABLES = (
    "OTEL_SDK_DISABLED",
    "OTEL_TRACES_EXPORTER",
    "OTEL_SERVICE_NAME",
    "OTEL_RESOURCE_ATTRIBUTES",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in OTEL_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def memory_provider() -> tuple[TracerProvider, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({}, []),
        ({"OTEL_TRACES_EXPORTER": "none"}, []),
        ({"OTEL_TRACES_EXPORTER": "console"}, [ConsoleSpanExporter]),
        ({"OTEL_TRACES_EXPORTER": "otlp"}, [OTLPSpanExporter]),
        ({"OTEL_TRACES_EXPORTER": "otlp, console"}, [OTLPSpanExporter, ConsoleSpanExporter]),
        ({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_SDK_DISABLED": "true"}, []),
        ({"OTEL_TRACES_EXPORTER": "zipkin"}, []),
    ],
)
def test_exporters_come_from_the_environment_and_none_by_default(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], expected: list[type]
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert [type(e) for e in exporters_from_env()] == expected


def test_the_service_name_is_the_pieces_unless_the_environment_names_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert resource_for("tickets").attributes["service.name"] == "tickets"
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=staging")
    resource = resource_for("tickets")
    assert resource.attributes["service.name"] == "tickets"
    assert resource.attributes["deployment.environment"] == "staging"
    monkeypatch.setenv("OTEL_SERVICE_NAME", "tickets-eu")
    assert resource_for("tickets").attributes["service.name"] == "tickets-eu"


def test_an_app_is_traced_into_its_own_provider_once() -> None:
    app = FastAPI()
    assert tracing_of(app) is None
    first, _ = memory_provider()
    second, _ = memory_provider()
    tracing = instrument_app(app, first)
    assert tracing_of(app) is tracing and tracing.provider is first
    assert instrument_app(app, second) is tracing


def test_an_event_carries_the_trace_it_was_written_in_and_its_handling_continues_it() -> None:
    provider, exporter = memory_provider()
    tracer = provider.get_tracer("test")
    assert new_event(type="t.tested", source="test", data={}).traceparent is None
    with tracer.start_as_current_span("request") as request:
        event = new_event(type="t.tested", source="test", data={})
    assert event.traceparent is not None
    trace_id = format(request.get_span_context().trace_id, "032x")
    assert event.traceparent.split("-")[1] == trace_id
    # What the event keeps comes back from its JSON, as a receiver reads it.
    received = type(event).model_validate_json(event.model_dump_json(exclude_none=True))
    assert received.traceparent == event.traceparent

    with (
        tracer.start_as_current_span("inbox request") as inbox,
        event_span(tracer, "process t.tested", received.model_dump()),
    ):
        pass
    [handled] = [s for s in exporter.get_finished_spans() if s.name == "process t.tested"]
    assert handled.kind is SpanKind.CONSUMER
    assert handled.context is not None and handled.parent is not None
    assert handled.context.trace_id == request.get_span_context().trace_id
    assert handled.parent.span_id == request.get_span_context().span_id
    assert [link.context.span_id for link in handled.links] == [inbox.get_span_context().span_id]


def test_without_a_tracer_an_event_span_is_nothing() -> None:
    with event_span(None, "process t.tested", {"traceparent": "00-" + "1" * 32 + "-" + "2" * 16}):
        event = new_event(type="t.tested", source="test", data={})
    assert event.traceparent is None
