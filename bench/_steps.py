"""The measurements of the stack bench, one function each; bench_stack.py runs them in
order on one stack and prints the table.

Every load is closed-loop at a fixed concurrency for a fixed time after a short warm-up
(discarded). CPU is read before and after (``_cpu``); for opened cases the second reading
is taken only once the fan-out has caught up (every case's number mail at the SMTP sink
and its webhook at the receiver), so CPU per case includes its whole fan-out.
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from dataclasses import dataclass

import httpx
from _cpu import CpuMeter, Reading, Usage
from _harness import Sinks, Stack, request_lines
from _load import Call, LoadResult, run_load
from _scenario import Backlog, Scenario, backlog

WARM_UP_SECONDS = 2.0
OPEN_SECONDS = 15.0
READ_SECONDS = 10.0
DRAIN_LIMIT_SECONDS = 60.0
SETTLE_SECONDS = 5.0
SERVICES = ("tickets", "contracts", "notify")


@dataclass
class Bench:
    stack: Stack
    sinks: Sinks
    scenario: Scenario
    meter: CpuMeter


@dataclass
class Measured:
    """A load and the CPU spent for it."""

    load: LoadResult
    usage: Usage
    served: int  # what the CPU is divided by: requests answered without error

    def per_request_ms(self, seconds: float) -> float:
        """``seconds`` of CPU per request served, in ms (NaN when nothing was served)."""
        return seconds * 1000 / self.served if self.served > 0 else math.nan

    def cpu_ms(self, *groups: str) -> float:
        """CPU ms per request served, of the groups named (all of them if none)."""
        names = groups or tuple(self.usage.groups)
        return self.per_request_ms(sum(self.usage.groups[name] for name in names))

    def machine_ms(self) -> float:
        return self.per_request_ms(self.usage.machine)

    def idle_share_ms(self, idle: Usage) -> float:
        """Of ``cpu_ms()``, what the stack would have spent anyway over as long (its
        pollers, as measured at rest)."""
        per_second = idle.stack / idle.seconds if idle.seconds else 0.0
        return self.per_request_ms(per_second * self.usage.seconds)


@dataclass
class Opened(Measured):
    """Opening cases: the load, then the drain of their fan-out."""

    load_only: Usage  # CPU during the load alone (fan-out still owed is not in it)
    at_end: str  # what the fan-out owed when the load stopped
    owed_at_end: tuple[int, int]  # mails, webhooks
    drained_after: float | None  # seconds after the load until it caught up; None: never
    left: str  # what it still owed when the bench stopped waiting ("" if nothing)


async def _load(call: Call, seconds: float, concurrency: int = 16) -> LoadResult:
    return await asyncio.to_thread(run_load, call, seconds=seconds, concurrency=concurrency)


async def warm_up(call: Call, seconds: float = WARM_UP_SECONDS, concurrency: int = 16) -> None:
    await _load(call, seconds, concurrency)


async def wait_for_fan_out(
    bench: Bench, since: Backlog, limit: float
) -> tuple[float | None, Backlog]:
    """Polls every half second until every case opened since ``since`` has its mail and
    webhook and the queues are empty: the seconds that took, and the last reading. Gives
    up (None) after ``limit``, or once the queues have been empty and nothing arrived for
    SETTLE_SECONDS: what is still owed then will not come soon (a case accepted while
    its entitlement was pending, say, is mailed only once a recheck entitles it)."""
    started = time.monotonic()
    last, quiet_since = None, time.monotonic()
    while True:
        now = await backlog(bench.stack, bench.sinks)
        queues_empty = now.relay_pending == 0 and now.deliveries_pending == 0
        if now.caught_up(since) and queues_empty:
            return time.monotonic() - started, now
        if last is None or (now.mails, now.webhooks, now.opened) != (
            last.mails,
            last.webhooks,
            last.opened,
        ):
            quiet_since = time.monotonic()
        last = now
        waited = time.monotonic() - started
        if waited > limit or (queues_empty and time.monotonic() - quiet_since > SETTLE_SECONDS):
            return None, now
        await asyncio.sleep(0.5)


async def measure_opens(bench: Bench, call: Call, seconds: float = OPEN_SECONDS) -> Opened:
    await warm_up(call)
    baseline = await backlog(bench.stack, bench.sinks)
    _, baseline = await wait_for_fan_out(bench, baseline, DRAIN_LIMIT_SECONDS)
    before = bench.meter.read()
    load = await _load(call, seconds)
    after_load = bench.meter.read()
    at_end = await backlog(bench.stack, bench.sinks)
    drained_after, final = await wait_for_fan_out(bench, baseline, DRAIN_LIMIT_SECONDS)
    after = bench.meter.read()
    return Opened(
        load=load,
        usage=CpuMeter.usage(before, after),
        served=final.opened - baseline.opened,
        load_only=CpuMeter.usage(before, after_load),
        at_end=at_end.describe(baseline),
        owed_at_end=at_end.behind(baseline),
        drained_after=drained_after,
        left="" if drained_after is not None else final.describe(baseline),
    )


async def measure(
    meter: CpuMeter, call: Call, seconds: float = READ_SECONDS, concurrency: int = 16
) -> Measured:
    """A warm-up, then ``call`` for ``seconds`` with CPU read around it."""
    await warm_up(call, WARM_UP_SECONDS, concurrency)
    before: Reading = meter.read()
    load = await _load(call, seconds, concurrency)
    after = meter.read()
    return Measured(load=load, usage=CpuMeter.usage(before, after), served=load.ok)


async def idle(bench: Bench, seconds: float = 5.0) -> Usage:
    """CPU the stack spends doing nothing asked of it (its pollers), over ``seconds``."""
    before = bench.meter.read()
    await asyncio.sleep(seconds)
    return CpuMeter.usage(before, bench.meter.read())


async def one_case(scenario: Scenario) -> tuple[str, str] | None:
    """The id and number of the newest case; None if there is none."""
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.get(
            f"{scenario.tickets}/v1/tickets",
            params={"limit": 1},
            headers={"Authorization": scenario.agent},
        )
        response.raise_for_status()
        items = response.json()["items"]
    return (str(items[0]["id"]), str(items[0]["number"])) if items else None


async def backend_calls(
    bench: Bench, path: str, body: str | None = None
) -> tuple[dict[str, int], float, bool]:
    """Requests each service received for one request to the gateway (POST with a body,
    else GET): their access-log lines carrying its request id, which the gateway passes
    on to every call it makes. Also its latency, and whether it answered without errors."""
    request_id = f"bench-{uuid.uuid4().hex}"
    headers = {
        "Authorization": bench.scenario.keys[0],
        "Content-Type": "application/json",
        "X-Request-ID": request_id,
    }
    url = f"{bench.scenario.gateway}{path}"
    async with httpx.AsyncClient(timeout=30) as client:
        started = time.perf_counter()
        if body is None:
            response = await client.get(url, headers=headers)
        else:
            response = await client.post(url, content=body, headers=headers)
        latency_ms = (time.perf_counter() - started) * 1000
    answered = response.status_code < 400 and "errors" not in response.json()
    await asyncio.sleep(1.0)  # the services write their log lines as they answer
    calls = {service: len(request_lines(bench.stack, service, request_id)) for service in SERVICES}
    return calls, latency_ms, answered
