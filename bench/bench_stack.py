"""Careplane measured as it is deployed, side by side with its references, in one run.

The stack runs in the production profile (``python -m careplane_devrun serve``: ENV=production,
JSON logs at INFO to a file per piece, each piece with as many uvicorn workers as the
machine has cores) with the whole fan-out live: notify mails each case's number to a
local SMTP sink and posts a webhook to a local receiver. On the same PostgreSQL, in the
same run: the bare FastAPI insert of docs/performance.md (as many workers) and, when
bench/peers/helpdesk_peer.py is there, django-helpdesk 2.6.1 (gunicorn, 2 sync workers).
``make run`` itself (the dev profile) is started afterwards for its time to ready.

Prints each figure as it is measured, then the goals table of docs/performance.md with
the CPU per opened case of every process group. Asserts nothing.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from dataclasses import dataclass, field

import httpx
from _cpu import CpuMeter, Usage, resident_mb
from _goals import Row, at_least, at_most, recorded_value, table
from _harness import (
    BARE_TABLE,
    Sinks,
    Stack,
    create_database,
    running_bare_app,
    running_sinks,
    running_stack,
)
from _load import Call, generator_name
from _scenario import KEYS, Scenario, prepare
from _steps import (
    OPEN_SECONDS,
    Bench,
    Measured,
    Opened,
    backend_calls,
    idle,
    measure,
    measure_opens,
    one_case,
)

from careplane_shared.testing.ports import free_port

try:
    from peers.helpdesk_peer import running_helpdesk
except ImportError:  # the peer is optional: the table says it was not measured
    running_helpdesk = None

PAGE_SECONDS = 8.0
PIECE_GROUPS = ("gateway", "tickets", "contracts", "notify")


@dataclass
class Figures:
    idle: Usage | None = None
    bare_insert: Measured | None = None
    bare_read: Measured | None = None
    open_rest: Opened | None = None
    open_graphql: Opened | None = None
    helpdesk_create: Measured | None = None
    helpdesk_fetch: Measured | None = None
    helpdesk_note: str = ""
    read_direct: Measured | None = None
    read_rest: Measured | None = None
    read_graphql: Measured | None = None
    page_calls: dict[str, int] = field(default_factory=dict)
    page_answered: bool = False
    page: Measured | None = None
    entitlement: Measured | None = None
    memory: dict[str, list[float]] = field(default_factory=dict)
    ready_seconds: float | None = None


def say(text: str) -> None:
    print(text, flush=True)


async def measure_bare(bench: Bench, figures: Figures) -> None:
    stack = bench.stack
    url = await create_database(stack.server_url(), "bench_bare", setup=BARE_TABLE)
    with running_bare_app(url, stack.workers) as bare:
        meter = CpuMeter({"bare": bare.pid, "postgres": stack.postmaster_pid()})
        item = json.dumps({"subject": "Model run stops", "body": "Error E-102 at 80 %."})
        figures.bare_insert = await measure(
            meter, Call("POST", f"{bare.url}/items", body=item), OPEN_SECONDS
        )
        say(figures.bare_insert.load.line("bare FastAPI insert"))
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.post(f"{bare.url}/items", json=json.loads(item))
            created = response.json()
        figures.bare_read = await measure(meter, Call("GET", f"{bare.url}/items/{created['id']}"))
        say(figures.bare_read.load.line("bare FastAPI read by id"))


async def measure_helpdesk(bench: Bench, figures: Figures) -> None:
    if running_helpdesk is None:
        figures.helpdesk_note = "bench/peers/helpdesk_peer.py is missing: peer not measured"
        say(figures.helpdesk_note)
        return
    say("django-helpdesk: preparing its virtualenv and database (first use: minutes)")
    try:
        with running_helpdesk(bench.stack.server_url(), free_port()) as peer:
            meter = CpuMeter(
                {"helpdesk": peer.master_pid, "postgres": bench.stack.postmaster_pid()},
                bench.meter.outsiders,
            )
            headers = {"Accept": "application/json"}
            auth = [peer.headers["Authorization"]]
            create = Call(
                "POST",
                f"{peer.base_url}{peer.create_path}",
                auth,
                body=json.dumps(peer.ticket_body(0)),
                headers=headers,
            )
            figures.helpdesk_create = await measure(meter, create, OPEN_SECONDS)
            say(figures.helpdesk_create.load.line("django-helpdesk create"))
            async with httpx.AsyncClient(timeout=30) as client:
                response = await client.post(
                    f"{peer.base_url}{peer.create_path}",
                    json=peer.ticket_body(1),
                    headers={**headers, **peer.headers},
                )
                created = response.json()
            fetch = Call(
                "GET",
                f"{peer.base_url}{peer.fetch_path(created['id'], direct=True)}",
                auth,
                headers=headers,
            )
            figures.helpdesk_fetch = await measure(meter, fetch)
            say(figures.helpdesk_fetch.load.line("django-helpdesk fetch one ticket (direct)"))
    except (RuntimeError, OSError, httpx.HTTPError, KeyError, ValueError) as exc:
        figures.helpdesk_note = f"django-helpdesk could not be measured: {exc!r}"[:300]
        say(figures.helpdesk_note)


def _opened_line(label: str, opened: Opened) -> str:
    drained = (
        f"caught up {opened.drained_after:.1f} s after the load"
        if opened.drained_after is not None
        else "NOT caught up within the drain limit"
    )
    return (
        f"{opened.load.line(label)}\n"
        f"  CPU per case with its fan-out: {opened.cpu_ms():.2f} ms (processes), "
        f"{opened.machine_ms():.2f} ms (machine less generator); "
        f"during the load alone {opened.load_only.stack * 1000 / max(opened.served, 1):.2f} ms\n"
        f"  fan-out when the load stopped: {opened.at_end}; {drained}"
    )


async def measure_stack(bench: Bench, figures: Figures) -> None:
    stack, scenario = bench.stack, bench.scenario
    gateway, tickets = scenario.gateway, scenario.tickets
    figures.idle = await idle(bench)
    idle_ms = {name: cpu * 1000 / figures.idle.seconds for name, cpu in figures.idle.groups.items()}
    say("idle (pollers): " + ", ".join(f"{k} {v:.0f} ms/s" for k, v in idle_ms.items()))

    await measure_bare(bench, figures)

    rest = Call(
        "POST", f"{gateway}/api/tickets/v1/tickets", scenario.keys, body=scenario.open_rest_body()
    )
    figures.open_rest = await measure_opens(bench, rest)
    say(_opened_line("open a case, gateway REST", figures.open_rest))
    graphql = Call(
        "POST", f"{gateway}/graphql", scenario.keys, scenario.open_graphql_body(), graphql=True
    )
    figures.open_graphql = await measure_opens(bench, graphql)
    say(_opened_line("open a case, gateway GraphQL", figures.open_graphql))

    await measure_helpdesk(bench, figures)

    ticket_id, number = await one_case(scenario)
    direct = Call("GET", f"{tickets}/v1/tickets/{ticket_id}", scenario.keys)
    figures.read_direct = await measure(bench.meter, direct)
    say(figures.read_direct.load.line("read one case, tickets directly"))
    via_rest = Call("GET", f"{gateway}/api/tickets/v1/tickets/{ticket_id}", scenario.keys)
    figures.read_rest = await measure(bench.meter, via_rest)
    say(figures.read_rest.load.line("read one case, gateway REST"))
    via_graphql = Call(
        "POST",
        f"{gateway}/graphql",
        scenario.keys,
        Scenario.read_graphql_body(number),
        graphql=True,
    )
    figures.read_graphql = await measure(bench.meter, via_graphql)
    say(figures.read_graphql.load.line("read one case, gateway GraphQL"))

    figures.page_calls, latency, figures.page_answered = await backend_calls(
        bench, Scenario.page_body()
    )
    say(
        f"50-case page: backend calls {figures.page_calls} "
        f"(answered without errors: {figures.page_answered}, {latency:.0f} ms)"
    )
    page = Call("POST", f"{gateway}/graphql", scenario.keys, Scenario.page_body(), graphql=True)
    figures.page = await measure(bench.meter, page, PAGE_SECONDS, concurrency=1)
    say(figures.page.load.line("50-case page, concurrency 1"))

    check = json.dumps(
        {"contact_id": scenario.contact_id, "product_id": scenario.product_id, "version": "3.1"}
    )
    entitlement = Call(
        "POST", f"{stack.url('contracts')}/v1/entitlements/check", [scenario.agent], check
    )
    figures.entitlement = await measure(bench.meter, entitlement)
    say(figures.entitlement.load.line("entitlement check, contracts directly"))

    figures.memory = {
        name: [resident_mb(pid) for pid in pids]
        for name, pids in bench.meter.read().groups.items()
        if name in PIECE_GROUPS
    }


async def run_stack(stack: Stack, sinks: Sinks) -> Figures:
    figures = Figures()
    scenario = await prepare(stack, sinks)
    roots = {**stack.piece_roots(), "postgres": stack.postmaster_pid()}
    bench = Bench(stack, sinks, scenario, CpuMeter(roots, [sinks.pid]))
    await measure_stack(bench, figures)
    return figures


def cpu_table(figures: Figures) -> str:
    opened = figures.open_rest
    if opened is None:
        return ""
    lines = ["CPU per case opened through gateway REST, with its fan-out (ms):"]
    for name, pids in opened.usage.processes.items():
        per_case = opened.usage.groups[name] * 1000 / max(opened.served, 1)
        parts = ", ".join(
            f"{pid}: {cpu * 1000 / max(opened.served, 1):.2f}"
            for pid, cpu in sorted(pids.items(), key=lambda item: -item[1])
            if cpu > 0
        )
        lines.append(f"  {name:<10} {per_case:6.2f}   ({len(pids)} processes; {parts})")
    lines.append(f"  {'all':<10} {opened.cpu_ms():6.2f}")
    lines.append(f"  {'machine':<10} {opened.machine_ms():6.2f}   (busy time less generator)")
    return "\n".join(lines)


def _rate(m: Measured | None) -> float | None:
    return m.load.rate if m is not None else None


def _ratio(a: Measured | None, b: Measured | None) -> float | None:
    if a is None or b is None or not b.load.rate:
        return None
    return a.load.rate / b.load.rate


def _fmt(value: float | None, pattern: str) -> str:
    return "n/a" if value is None else pattern.format(value)


def goal_rows(figures: Figures) -> list[Row]:
    rest, gql = figures.open_rest, figures.open_graphql
    helpdesk, bare = figures.helpdesk_create, figures.bare_insert
    peer = (
        _fmt(_rate(helpdesk), "helpdesk {:,.0f}/s")
        if helpdesk
        else (figures.helpdesk_note or "n/a")
    )
    rows = [
        Row(
            "CPU per opened case, whole stack + fan-out",
            _fmt(rest.cpu_ms() if rest else None, "{:.2f} ms")
            + _fmt(rest.machine_ms() if rest else None, " (machine {:.2f} ms)"),
            _fmt(bare.cpu_ms() if bare else None, "bare insert {:.2f} ms")
            + _fmt(helpdesk.cpu_ms() if helpdesk else None, ", helpdesk {:.2f} ms"),
            "<= 8 ms",
            at_most(rest.cpu_ms() if rest else None, 8.0),
        ),
    ]
    for label, opened in (("REST", rest), ("GraphQL", gql)):
        ratio = _ratio(opened, helpdesk)
        rows += [
            Row(
                f"opens/s via gateway {label}, c=16 vs django-helpdesk",
                _fmt(_rate(opened), "{:,.0f}/s") + _fmt(ratio, " = {:.1f}x"),
                peer,
                ">= 2x (stretch 4x)",
                at_least(ratio, 2.0),
            ),
            Row(
                f"opens/s via gateway {label} vs bare insert",
                _fmt(_ratio(opened, bare), "{:.2f}x"),
                _fmt(_rate(bare), "bare {:,.0f}/s"),
                ">= 0.35x",
                at_least(_ratio(opened, bare), 0.35),
            ),
            Row(
                f"open p99 via gateway {label}, c=16",
                _fmt(opened.load.p99_ms if opened else None, "{:.0f} ms"),
                _fmt(helpdesk.load.p99_ms if helpdesk else None, "helpdesk {:.0f} ms"),
                "<= 150 ms",
                at_most(opened.load.p99_ms if opened else None, 150.0),
            ),
        ]
    direct = figures.read_direct
    direct_cpu = direct.cpu_ms("tickets") if direct else None
    rows.append(
        Row(
            "read one case direct: CPU in tickets",
            _fmt(direct_cpu, "{:.2f} ms"),
            _fmt(figures.bare_read.cpu_ms("bare") if figures.bare_read else None, "bare {:.2f} ms"),
            "<= 1 ms",
            at_most(direct_cpu, 1.0),
        )
    )
    for label, read in (("REST", figures.read_rest), ("GraphQL", figures.read_graphql)):
        ratio = _ratio(read, direct)
        rows.append(
            Row(
                f"read one case via gateway {label} / direct",
                _fmt(_rate(read), "{:,.0f}/s") + _fmt(ratio, " = {:.2f}x"),
                _fmt(_rate(direct), "direct {:,.0f}/s")
                + _fmt(_rate(figures.helpdesk_fetch), ", helpdesk {:,.0f}/s"),
                ">= 0.67x",
                at_least(ratio, 0.67),
            )
        )
    calls = sum(figures.page_calls.values()) if figures.page_calls else None
    page_p50 = figures.page.load.p50_ms if figures.page else None
    rows += [
        Row(
            "50-case page: backend calls",
            _fmt(calls, "{:.0f}")
            + (" " + json.dumps(figures.page_calls) if figures.page_calls else ""),
            "" if figures.page_answered else "the query answered with errors",
            "<= 5",
            at_most(calls, 5) if figures.page_answered else False,
        ),
        Row("50-case page: p50, c=1", _fmt(page_p50, "{:.0f} ms"), "", "<= 50 ms",
            at_most(page_p50, 50.0)),
    ]  # fmt: skip
    sla, sla_note = recorded_value("sla_due_times_per_second")
    hooks, hooks_note = recorded_value("webhooks_per_second")
    biggest = max((mb for mbs in figures.memory.values() for mb in mbs), default=None)
    rows += [
        Row("SLA engine due times/s/core", _fmt(sla, "{:,.0f}/s"), sla_note, ">= 100 000",
            at_least(sla, 100_000)),
        Row("signed webhooks/s", _fmt(hooks, "{:,.0f}/s"), hooks_note, ">= 500",
            at_least(hooks, 500)),
        Row("largest process resident after load", _fmt(biggest, "{:.0f} MB"),
            ", ".join(f"{k} max {max(v):.0f}" for k, v in figures.memory.items() if v),
            "< 150 MB each", None if biggest is None else biggest < 150),
        Row("make run ready (dev profile, fresh data)", _fmt(figures.ready_seconds, "{:.1f} s"),
            "", "< 15 s", at_most(figures.ready_seconds, 15.0)),
    ]  # fmt: skip
    return rows


def main() -> None:
    began = time.monotonic()
    figures = Figures()
    cores = os.cpu_count() or 1
    with running_sinks() as sinks:
        environ = {
            "NOTIFY_SMTP_HOST": "127.0.0.1",
            "NOTIFY_SMTP_PORT": str(sinks.smtp_port),
            # The receiver is on this machine; a deployment's targets are not.
            "NOTIFY_ALLOW_PRIVATE_TARGETS": "true",
        }
        with running_stack(environ=environ) as stack:
            say(
                f"stack: production profile, {stack.workers} workers per piece on {cores} cores, "
                f"ready after {stack.seconds_to_ready:.1f} s; load generator: {generator_name()}, "
                f"concurrency 16; gateway rate limits as deployed (defaults, counted in each "
                f"worker's memory), the load spread over {KEYS} integration keys"
            )
            figures = asyncio.run(run_stack(stack, sinks))
    with running_stack(production=False) as dev:
        figures.ready_seconds = dev.seconds_to_ready
    say(f"make run (dev profile) ready after {figures.ready_seconds:.1f} s")
    say("")
    say(table(goal_rows(figures)))
    say("")
    say(cpu_table(figures))
    took = time.monotonic() - began
    say(f"\nbench_stack took {took:.0f} s; figures on a shared machine are noisy")


if __name__ == "__main__":
    main()
