"""Traces across the pieces: a case opened through the gateway is one trace from the
gateway's request through tickets, contracts' entitlement check and their SQL statements to
notify's handling of ``ticket.opened`` and its deliveries, joined through the outbox by the
event's ``traceparent``; a customer's webhook carries none of it. With tracing off, nothing
is traced and events carry no trace context."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, MutableMapping
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlalchemy import select

from careplane_shared.testing import serve_on_loopback
from careplane_shared.testing.pieces import CONTRACTS, NOTIFY, TICKETS
from careplane_shared.testing.plugin import ProvisionDatabase
from careplane_shared.testing.traced_case import PIECES, CaseStack, case_stack
from careplane_shared.tracing import tracing_of
from contracts.seed import seed
from notify.models import deliveries_table
from notify.models import inbox_events as notify_inbox
from tickets.models import outbox_events as tickets_outbox

DAN = "dan@delta.example"  # Delta Secure's administrator: entitled to Tideway 3.1


@pytest.fixture(scope="module")
async def database_urls(provision_database: ProvisionDatabase) -> dict[str, str]:
    """Committed databases of this module's own (workers commit for real); contracts'
    holds the demo data."""
    urls = {
        kit.name: await provision_database(f"traced_{kit.name}", kit.service_dir)
        for kit in (CONTRACTS, TICKETS, NOTIFY)
    }
    await seed(urls["contracts"])
    return urls


@pytest.fixture
async def traced(
    database_urls: dict[str, str], tmp_path: Path
) -> AsyncIterator[tuple[CaseStack, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    providers = {}
    for piece in PIECES:
        provider = TracerProvider(resource=Resource({SERVICE_NAME: piece}))
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        providers[piece] = provider
    async with case_stack(database_urls, tmp_path, providers) as stack:
        yield stack, exporter


def service(span: ReadableSpan) -> str:
    return str(span.resource.attributes[SERVICE_NAME])


async def test_one_trace_runs_from_the_gateway_through_the_outbox_to_notifys_deliveries(
    traced: tuple[CaseStack, InMemorySpanExporter], tmp_path: Path
) -> None:
    stack, exporter = traced
    dan = await stack.sign_in(DAN)
    await stack.register_webhook(dan)
    product_id = await stack.product_id(dan)
    exporter.clear()

    case = await stack.open_case(dan, product_id)
    await stack.carry_events()

    spans = exporter.get_finished_spans()
    [opened] = [s for s in spans if service(s) == "gateway" and s.name == "POST /graphql"]
    assert opened.parent is None and opened.context is not None
    trace_id = opened.context.trace_id
    in_trace = [s for s in spans if s.context is not None and s.context.trace_id == trace_id]

    by_service = {piece: [s for s in in_trace if service(s) == piece] for piece in PIECES}

    # Every span of the trace hangs from another span of it: one tree, rooted at the gateway.
    ids = {s.context.span_id for s in in_trace if s.context is not None}
    assert all(s.parent is None or s.parent.span_id in ids for s in in_trace)
    assert [s for s in in_trace if s.parent is None] == [opened]

    # The gateway's call to tickets, and tickets' request with its statements. (In one
    # process a piece's request span is INTERNAL, as a child of its caller's span in progress;
    # across processes it is a SERVER span.)
    assert opened.kind is SpanKind.SERVER
    assert any(s.kind is SpanKind.CLIENT for s in by_service["gateway"])
    assert any(s.name == "POST /v1/tickets" for s in by_service["tickets"])
    tickets_sql = [s for s in by_service["tickets"] if s.attributes.get("db.system")]
    assert any(str(s.attributes.get("db.statement", "")).startswith("INSERT") for s in tickets_sql)
    # Tickets asks contracts whether the contact is entitled, and contracts reads its database.
    assert any(s.name == "POST /v1/entitlements/check" for s in by_service["contracts"])
    assert any(s.attributes.get("db.system") == "postgresql" for s in by_service["contracts"])

    # The event written in tickets' request carries its trace in the outbox...
    async with stack.apps["tickets"].state.database.sessionmaker() as session:
        envelopes = (
            await session.scalars(
                select(tickets_outbox.c.envelope).where(tickets_outbox.c.type == "ticket.opened")
            )
        ).all()
    [envelope] = [e for e in envelopes if e["data"]["ticket_id"] == case["id"]]
    assert envelope["traceparent"].split("-")[1] == format(trace_id, "032x")
    # ...and notify keeps it as received.
    async with stack.apps["notify"].state.database.sessionmaker() as session:
        kept = await session.scalar(
            select(notify_inbox.c.envelope).where(notify_inbox.c.id == envelope["id"])
        )
        deliveries = (
            await session.execute(
                select(deliveries_table.c.channel, deliveries_table.c.status).where(
                    deliveries_table.c.event_id == envelope["id"]
                )
            )
        ).all()
    assert kept is not None and kept["traceparent"] == envelope["traceparent"]
    assert sorted(deliveries) == [("email", "succeeded"), ("webhook", "succeeded")]

    # Notify handles the event, mails the requester and calls the webhook within that trace.
    notify_names = [s.name for s in by_service["notify"]]
    assert "process ticket.opened" in notify_names
    assert {"deliver email", "deliver webhook"} <= set(notify_names)
    [process] = [s for s in by_service["notify"] if s.name == "process ticket.opened"]
    assert process.kind is SpanKind.CONSUMER
    assert process.attributes["cloudevents.event_id"] == envelope["id"]
    # Linked to the inbox request that brought it (the relay's post, a trace of its own).
    assert [link.context.trace_id != trace_id for link in process.links] == [True]
    assert any(
        s.attributes.get("db.system") and s.parent and s.parent.span_id == process.context.span_id
        for s in by_service["notify"]
        if process.context is not None
    )

    # The customer's webhook carries no trace context: not in its body, not in its headers.
    [(headers, body)] = stack.received.requests
    assert b"ticket.opened" in body
    assert "traceparent" not in headers and "tracestate" not in headers
    assert b"traceparent" not in body and format(trace_id, "032x").encode() not in body
    # Nor the case number mail.
    mails = [p.read_bytes() for p in (tmp_path / "mailbox").rglob("*") if p.is_file()]
    assert mails and not any(format(trace_id, "032x").encode() in mail for mail in mails)
    assert not any(b"traceparent" in mail for mail in mails)
    # Nor does the deliveries API show it, to the customer who owns the endpoint.
    shown = await stack.gateway.get(
        "/api/notify/v1/deliveries", params={"event_type": "ticket.opened"}, headers=dan
    )
    assert shown.status_code == 200, shown.text
    assert shown.json()["items"] and "traceparent" not in shown.text


async def test_with_tracing_off_nothing_is_traced_and_events_carry_no_trace_context(
    database_urls: dict[str, str], tmp_path: Path
) -> None:
    async with case_stack(database_urls, tmp_path) as stack:
        assert all(tracing_of(app) is None for app in stack.apps.values())
        dan = await stack.sign_in(DAN)
        # A caller's own trace context is not taken up either.
        traced_caller = {
            **dan,
            "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        }
        case = await stack.open_case(traced_caller, await stack.product_id(dan))
        await stack.carry_events()
        async with stack.apps["tickets"].state.database.sessionmaker() as session:
            envelopes = (await session.scalars(select(tickets_outbox.c.envelope))).all()
        mine = [e for e in envelopes if e["data"].get("ticket_id") == case["id"]]
        assert mine and all("traceparent" not in e and "tracestate" not in e for e in mine)
        async with stack.apps["notify"].state.database.sessionmaker() as session:
            payloads = (
                await session.scalars(
                    select(deliveries_table.c.payload).where(
                        deliveries_table.c.event_id.in_([e["id"] for e in mine])
                    )
                )
            ).all()
        assert payloads and all("traceparent" not in p for p in payloads)
    # No middleware of tracing was put in front of any piece.
    for app in stack.apps.values():
        layer = app.middleware_stack
        while layer is not None:
            assert "opentelemetry" not in type(layer).__module__
            layer = getattr(layer, "app", None)


# A gateway process built from its environment alone, asked once: its span must reach the
# collector named by OTEL_EXPORTER_OTLP_ENDPOINT when the process ends.
GATEWAY_PROCESS = """
import asyncio, httpx
from careplane_gateway.main import create_app
from careplane_shared.testing import running_app

async def main():
    app = create_app()
    async with running_app(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
            asked = await client.post("/graphql", json={"query": "{ me { id } }"})
            assert asked.status_code == 401
            assert (await client.get("/healthz")).status_code == 200

asyncio.run(main())
"""


class Collector:
    """An OTLP/HTTP collector on 127.0.0.1: keeps every export request it is sent."""

    def __init__(self) -> None:
        self.requests: list[ExportTraceServiceRequest] = []

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["path"] == "/v1/traces":
            self.requests.append(ExportTraceServiceRequest.FromString(body))
        headers = [(b"content-type", b"application/x-protobuf")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b""})


async def test_the_environment_turns_tracing_on_and_spans_reach_the_otlp_collector() -> None:
    collector = Collector()
    async with serve_on_loopback(collector) as url:
        environment = {
            **os.environ,
            "OTEL_TRACES_EXPORTER": "otlp",
            "OTEL_EXPORTER_OTLP_ENDPOINT": url,
            "GATEWAY_LOG_LEVEL": "WARNING",
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", GATEWAY_PROCESS, env=environment
        )
        assert await asyncio.wait_for(process.wait(), timeout=60) == 0
    spans = [
        (resource.resource, span)
        for request in collector.requests
        for resource in request.resource_spans
        for scope in resource.scope_spans
        for span in scope.spans
    ]
    # The request, its service name the piece's; the probe is not traced.
    assert [span.name for _, span in spans] == ["POST /graphql"]
    [(resource, _)] = spans
    names = [a.value.string_value for a in resource.attributes if a.key == "service.name"]
    assert names == ["gateway"]
