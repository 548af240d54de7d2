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

import httpx
from _cpu import CpuMeter, resident_mb
from _harness import (
    BARE_TABLE,
    ROOT,
    Sinks,
    Stack,
    create_database,
    running_bare_app,
    running_sinks,
    running_stack,
)
from _load import Call, generator_name
from _report import Figures, cpu_table, goals_table, measured_line, opened_line
from _scenario import KEYS, Scenario, prepare
from _steps import (
    OPEN_SECONDS,
    Bench,
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

PAGE_SECONDS = 6.0
REFERENCE_READ_SECONDS = 8.0
# The pieces' JSON logs of the last run, kept for a look after it.
LOGS = ROOT / ".data" / "bench" / "stack-logs"
PIECE_GROUPS = ("gateway", "tickets", "contracts", "notify")


_STARTED = time.monotonic()


def say(text: str) -> None:
    """A line of output, after the seconds since the bench started."""
    print(f"[{time.monotonic() - _STARTED:5.0f} s] {text}", flush=True)


async def say_backend_calls(bench: Bench, label: str, path: str, body: str | None = None) -> None:
    calls, latency, answered = await backend_calls(bench, path, body)
    outcome = "answered" if answered else "answered WITH ERRORS"
    say(f"{label}: backend calls {calls} ({outcome} in {latency:.0f} ms)")


async def measure_bare(bench: Bench, figures: Figures) -> None:
    stack = bench.stack
    url = await create_database(stack.server_url(), "bench_bare", setup=BARE_TABLE)
    with running_bare_app(url, stack.workers) as bare:
        meter = CpuMeter({"bare": bare.pid, "postgres": stack.postmaster_pid()})
        item = json.dumps({"subject": "Model run stops", "body": "Error E-102 at 80 %."})
        figures.bare_insert = await measure(
            meter, Call("POST", f"{bare.url}/items", body=item), OPEN_SECONDS
        )
        say(measured_line(figures.bare_insert, "bare FastAPI insert"))
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.post(f"{bare.url}/items", json=json.loads(item))
            created = response.json()
        figures.bare_read = await measure(
            meter, Call("GET", f"{bare.url}/items/{created['id']}"), REFERENCE_READ_SECONDS
        )
        say(measured_line(figures.bare_read, "bare FastAPI read by id"))


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
            say(measured_line(figures.helpdesk_create, "django-helpdesk create"))
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
            figures.helpdesk_fetch = await measure(meter, fetch, REFERENCE_READ_SECONDS)
            say(measured_line(figures.helpdesk_fetch, "django-helpdesk fetch one ticket (direct)"))
    except (RuntimeError, OSError, httpx.HTTPError, KeyError, ValueError) as exc:
        figures.helpdesk_note = f"django-helpdesk could not be measured: {exc!r}"[:300]
        say(figures.helpdesk_note)


async def measure_reads(bench: Bench, figures: Figures) -> None:
    """One case read straight from tickets, through the gateway's REST hop and GraphQL."""
    scenario = bench.scenario
    case = await one_case(scenario)
    if case is None:
        say("no case could be opened: the reads are not measured")
        return
    ticket_id, number = case
    direct = Call("GET", f"{scenario.tickets}/v1/tickets/{ticket_id}", scenario.keys)
    figures.read_direct = await measure(bench.meter, direct)
    say(measured_line(figures.read_direct, "read one case, tickets directly"))
    rest_path = f"/api/tickets/v1/tickets/{ticket_id}"
    figures.read_rest = await measure(
        bench.meter, Call("GET", f"{scenario.gateway}{rest_path}", scenario.keys)
    )
    say(measured_line(figures.read_rest, "read one case, gateway REST"))
    query = Scenario.read_graphql_body(number)
    via_graphql = Call("POST", f"{scenario.gateway}/graphql", scenario.keys, query, graphql=True)
    figures.read_graphql = await measure(bench.meter, via_graphql)
    say(measured_line(figures.read_graphql, "read one case, gateway GraphQL"))
    await say_backend_calls(bench, "read one case, gateway REST", rest_path)
    await say_backend_calls(bench, "read one case, gateway GraphQL", "/graphql", query)


async def measure_stack(bench: Bench, figures: Figures) -> None:
    stack, scenario = bench.stack, bench.scenario
    gateway = scenario.gateway
    figures.idle = await idle(bench)
    idle_ms = {name: cpu * 1000 / figures.idle.seconds for name, cpu in figures.idle.groups.items()}
    say("idle (pollers): " + ", ".join(f"{k} {v:.0f} ms/s" for k, v in idle_ms.items()))

    await measure_bare(bench, figures)

    rest = Call(
        "POST", f"{gateway}/api/tickets/v1/tickets", scenario.keys, body=scenario.open_rest_body()
    )
    figures.open_rest = await measure_opens(bench, rest)
    say(opened_line("open a case, gateway REST", figures.open_rest, figures.idle))
    graphql = Call(
        "POST", f"{gateway}/graphql", scenario.keys, scenario.open_graphql_body(), graphql=True
    )
    figures.open_graphql = await measure_opens(bench, graphql)
    say(opened_line("open a case, gateway GraphQL", figures.open_graphql, figures.idle))

    await measure_helpdesk(bench, figures)

    await measure_reads(bench, figures)

    await say_backend_calls(bench, "open a case, gateway GraphQL", "/graphql", graphql.body)
    figures.page_calls, latency, figures.page_answered = await backend_calls(
        bench, "/graphql", Scenario.page_body()
    )
    say(
        f"50-case page: backend calls {figures.page_calls} "
        f"(answered without errors: {figures.page_answered}, {latency:.0f} ms)"
    )
    page = Call("POST", f"{gateway}/graphql", scenario.keys, Scenario.page_body(), graphql=True)
    figures.page = await measure(bench.meter, page, PAGE_SECONDS, concurrency=1)
    say(measured_line(figures.page, "50-case page, concurrency 1"))

    check = json.dumps(
        {"contact_id": scenario.contact_id, "product_id": scenario.product_id, "version": "3.1"}
    )
    entitlement = Call(
        "POST", f"{stack.url('contracts')}/v1/entitlements/check", [scenario.agent], check
    )
    figures.entitlement = await measure(bench.meter, entitlement)
    say(measured_line(figures.entitlement, "entitlement check, contracts directly"))

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
    figures.roots = roots
    await measure_stack(bench, figures)
    return figures


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
        with running_stack(environ=environ, keep_logs=LOGS) as stack:
            say(
                f"stack: production profile, {stack.workers} workers per piece on {cores} cores, "
                f"ready after {stack.seconds_to_ready:.1f} s; load generator: {generator_name()}, "
                f"concurrency 16; gateway rate limits as deployed (defaults, counted in each "
                f"worker's memory: every request passes the limiter), the load spread over "
                f"{KEYS} integration keys so that none is refused; mail to a local SMTP sink, "
                f"webhooks to a local receiver (NOTIFY_ALLOW_PRIVATE_TARGETS=true for it)"
            )
            figures = asyncio.run(run_stack(stack, sinks))
    try:
        with running_stack(production=False) as dev:
            figures.ready_seconds = dev.seconds_to_ready
        say(f"make run (dev profile, fresh data folder) ready after {figures.ready_seconds:.1f} s")
    except RuntimeError as exc:
        say(f"make run (dev profile) did not start: {str(exc)[-1500:]}")
    print()
    print(goals_table(figures))
    print()
    print(cpu_table(figures), flush=True)
    took = time.monotonic() - began
    say(f"bench_stack took {took:.0f} s; the pieces' logs of this run are in {LOGS}")


if __name__ == "__main__":
    main()
