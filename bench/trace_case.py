"""The trace of one opened case, and what tracing costs (docs/tracing.md).

Runs the four pieces in this process (``careplane_shared.testing.traced_case``: the
tracing test's scenario) on databases of their own, each piece traced into its own
provider, as each process is in production. A demo contact registers a webhook and opens a
case through the gateway; tickets' outbox relay and notify's delivery worker then carry
``ticket.opened`` to the mail and the webhook. Prints the case's trace as a list (trace id,
span, service, parent, duration), indented by depth.

``--cpu N`` also opens N cases with tracing off, N with it on and N with it on but one
trace in ten sampled, alternately in rounds,
and prints the CPU of this process (the four pieces' Python, not PostgreSQL's) per opened
case for each: the median and the least of the rounds (on a shared machine the least is
the steadier figure). With tracing on, every span is encoded as the OTLP exporter would send it
(protobuf), in the batch processor's thread, and dropped: the export's network is left out.

PostgreSQL: ``CAREPLANE_TEST_DATABASE_URL`` if set, else the embedded server the tests use
(``.data/test-pg``). Databases ``trace_case_<piece>`` are made anew at each run.

    .venv/bin/python bench/trace_case.py [--cpu 200]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased, Sampler, TraceIdRatioBased

from careplane_shared.migrations import upgrade
from careplane_shared.testing.pieces import CONTRACTS, NOTIFY, TICKETS
from careplane_shared.testing.plugin import ENV_URL, TEST_PORT, database_url, recreate_database
from careplane_shared.testing.traced_case import PIECES, CaseStack, case_stack, span_rows
from contracts.seed import seed

ROOT = Path(__file__).resolve().parents[1]
DAN = "dan@delta.example"
ROUNDS = 8


class EncodingExporter(SpanExporter):
    """Encodes spans as OTLP/protobuf, as the OTLP exporter does before it sends them."""

    def __init__(self) -> None:
        self.encoded_bytes = 0
        self.spans = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.encoded_bytes += len(encode_spans(spans).SerializeToString())
        self.spans += len(spans)
        return SpanExportResult.SUCCESS


def server_url() -> str:
    if os.environ.get(ENV_URL):
        return os.environ[ENV_URL]
    from careplane_devrun.embedded_pg import EmbeddedPostgres

    server = EmbeddedPostgres(ROOT / ".data" / "test-pg", port=TEST_PORT, fast_unsafe=True)
    os.environ[ENV_URL] = server.start()
    return os.environ[ENV_URL]


async def databases() -> dict[str, str]:
    urls = {}
    for kit in (CONTRACTS, TICKETS, NOTIFY):
        name = f"trace_case_{kit.name}"
        await recreate_database(name)
        urls[kit.name] = database_url(name)
        await asyncio.to_thread(upgrade, kit.service_dir, urls[kit.name])
    await seed(urls["contracts"])
    return urls


def providers(
    processor: Callable[[SpanExporter], SpanProcessor],
    exporter: SpanExporter,
    sampler: Sampler | None = None,
) -> dict[str, TracerProvider]:
    """One provider per piece, as each process has its own, all into ``exporter``."""
    made = {}
    for piece in PIECES:
        provider = TracerProvider(resource=Resource({SERVICE_NAME: piece}), sampler=sampler)
        provider.add_span_processor(processor(exporter))
        made[piece] = provider
    return made


def print_trace(spans: list[ReadableSpan]) -> None:
    rows = span_rows(spans)
    print(f"trace {rows[0]['trace_id']}: {len(rows)} spans")
    print(f"{'span':<34} {'service':<10} {'parent':<31} {'ms':>6}  calls")
    for row in rows:
        name = "  " * row["depth"] + row["name"]
        parent = row["parent"] or "-"
        print(
            f"{name:<34} {row['service']:<10} {parent:<31} {row['duration_ms']:>6.1f}  "
            f"{row['detail']}".rstrip()
        )


async def one_case(urls: dict[str, str], workdir: Path) -> None:
    exporter = InMemorySpanExporter()
    async with case_stack(urls, workdir, providers(SimpleSpanProcessor, exporter)) as stack:
        dan = await stack.sign_in(DAN)
        await stack.register_webhook(dan)
        product = await stack.product_id(dan)
        exporter.clear()
        await stack.open_case(dan, product)
        await stack.carry_events()
    spans = list(exporter.get_finished_spans())
    [root] = [s for s in spans if s.parent is None and s.name == "POST /graphql"]
    assert root.context is not None
    print_trace([s for s in spans if s.context and s.context.trace_id == root.context.trace_id])
    others = len({s.context.trace_id for s in spans if s.context}) - 1
    print(f"(and {others} other traces: the relay's post to notify's inbox, token fetches)")


async def cpu_per_case(stack: CaseStack, cases: int) -> float:
    dan = await stack.sign_in(DAN)
    product = await stack.product_id(dan)
    await stack.open_case(dan, product)  # warm: clients, caches, prepared statements
    started = time.process_time()
    for _ in range(cases):
        await stack.open_case(dan, product)
    return (time.process_time() - started) * 1000 / cases


async def compare(urls: dict[str, str], workdir: Path, cases: int) -> None:
    per_round = max(cases // ROUNDS, 1)
    modes: dict[str, Sampler | None] = {
        "off": None,
        "on": None,
        "on, 1 in 10 sampled": ParentBased(TraceIdRatioBased(0.1)),
    }
    cpu: dict[str, list[float]] = {mode: [] for mode in modes}
    encoders = {mode: EncodingExporter() for mode in modes}
    for _ in range(ROUNDS):
        for mode, sampler in modes.items():
            traced = None
            if mode != "off":
                traced = providers(BatchSpanProcessor, encoders[mode], sampler)
            async with case_stack(urls, workdir, traced) as stack:
                cpu[mode].append(await cpu_per_case(stack, per_round))
            for provider in (traced or {}).values():
                provider.shutdown()
    print(
        f"CPU per opened case (gateway, tickets, contracts in this process; "
        f"{per_round * ROUNDS} cases each, {ROUNDS} rounds):"
    )
    for mode, rounds in cpu.items():
        cases_run = per_round * ROUNDS
        encoder = encoders[mode]
        print(
            f"  tracing {mode + ':':<20} median {statistics.median(rounds):.2f} ms, "
            f"least {min(rounds):.2f} ms (rounds: {_ms(rounds)}); exported per case: "
            f"{encoder.spans / cases_run:.1f} spans, {encoder.encoded_bytes / cases_run:.0f} "
            "bytes of OTLP"
        )


def _ms(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


async def main(cpu_cases: int) -> None:
    for prefix in ("CONTRACTS_", "TICKETS_", "NOTIFY_", "GATEWAY_"):
        os.environ.setdefault(f"{prefix}LOG_LEVEL", "WARNING")
    server_url()
    urls = await databases()
    with tempfile.TemporaryDirectory() as workdir:
        await one_case(urls, Path(workdir))
        if cpu_cases:
            await compare(urls, Path(workdir), cpu_cases)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cpu", type=int, default=0, help="cases to open per mode")
    asyncio.run(main(parser.parse_args().cpu))
