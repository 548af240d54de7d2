"""``make chaos``: the replicated stack under load while replicas are killed, then the
checks that nothing was lost or doubled. Slow (minutes), so ``make test`` does not
collect it (tests/chaos is in norecursedirs); ``make chaos`` runs it with ``-s``.

Parameters (environment): CHAOS_CASES (cases opened, 200), CHAOS_SECONDS (how long the
openings are spread over, 60), CHAOS_CONCURRENCY (callers, 8), CHAOS_CONTRACTS_DOWN
(seconds contracts is entirely down, 10), CHAOS_RECOVERY_LIMIT (seconds the run waits
for the fan-out to drain after the load, 120).
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid

import pytest
from _harness import running_sinks
from chaos_checks import Checked, table, wait_for_recovery
from chaos_load import LoadFigures, faults, prepare, run_faults, run_load
from chaos_stack import replicated_stack

CASES = int(os.environ.get("CHAOS_CASES", "200"))
SECONDS = float(os.environ.get("CHAOS_SECONDS", "60"))
CONCURRENCY = int(os.environ.get("CHAOS_CONCURRENCY", "8"))
CONTRACTS_DOWN = float(os.environ.get("CHAOS_CONTRACTS_DOWN", "10"))
RECOVERY_LIMIT = float(os.environ.get("CHAOS_RECOVERY_LIMIT", "120"))

# Short leases and recheck intervals, so recovery is a matter of seconds, not minutes.
FAST_RECOVERY = {
    "NOTIFY_ALLOW_PRIVATE_TARGETS": "true",  # the webhook receiver is on 127.0.0.1
    "TICKETS_ENTITLEMENT_RECHECK_SECONDS": "2",
    "NOTIFY_DELIVERY_LEASE_SECONDS": "10",
    "NOTIFY_DELIVERY_DEADLINE_SECONDS": "8",
    **{f"{service}_OUTBOX_LEASE_SECONDS": "5" for service in ("TICKETS", "CONTRACTS", "NOTIFY")},
}


def say(line: str) -> None:
    print(f"chaos | {line}", flush=True)


async def chaos() -> tuple[Checked, LoadFigures, dict[str, object]]:
    """One whole run: its checks, the load's figures, and the rest of the figures."""
    started = time.monotonic()
    with running_sinks() as sinks:
        async with replicated_stack(FAST_RECOVERY, smtp_port=sinks.smtp_port) as stack:
            ready = time.monotonic() - started
            say(f"two replicas of each piece ready behind their proxies ({ready:.1f} s)")
            callers = await prepare(stack, sinks.webhook_url)
            figures = LoadFigures(run=uuid.uuid4().hex[:8])
            plan = faults(CONTRACTS_DOWN)
            say(f"{CASES} cases over {SECONDS:.0f} s by {CONCURRENCY} callers; faults:")
            last_fault = asyncio.Event()
            await asyncio.gather(
                run_load(
                    callers,
                    figures,
                    last_fault,
                    cases=CASES,
                    seconds=SECONDS,
                    concurrency=CONCURRENCY,
                ),
                run_faults(stack, figures, plan, SECONDS, say, last_fault),
            )
            say(f"load done ({figures.seconds:.1f} s); waiting for the fan-out to drain")
            checked, drained = await wait_for_recovery(
                stack, sinks, callers, figures, limit=RECOVERY_LIMIT
            )
            proxies = stack.proxies.values()
            extra: dict[str, object] = {
                "kills": dict(stack.kills),
                "down": ", ".join(
                    f"{piece} {seconds:.1f}"
                    for piece, seconds in sorted(stack.down_seconds.items())
                ),
                "drained": drained,
                "refused": sum(proxy.refused for proxy in proxies),
                "unserved": sum(proxy.unserved for proxy in proxies),
                "ready": ready,
            }
    extra["wall"] = time.monotonic() - started
    return checked, figures, extra


def report(checked: Checked, figures: LoadFigures, extra: dict[str, object]) -> None:
    drained = extra["drained"]
    kills = extra["kills"]
    assert isinstance(kills, dict)
    rows: list[tuple[str, object]] = [
        ("cases attempted / acknowledged", f"{figures.attempted} / {len(figures.acked)}"),
        ("cases given up by the caller", len(figures.gave_up)),
        ("cases stored / doubled", f"{checked.cases_stored} / {checked.doubled_cases}"),
        ("acknowledged but missing", checked.acked_missing),
        ("stored without an acknowledgement", checked.stored_unacked),
        ("client retries (open, reply, close)", _retries(figures)),
        ("replies / closes", f"{figures.replies} / {len(figures.closed)}"),
        ("replies and closes refused", dict(figures.refused) or 0),
        ("kills per piece (SIGKILL)", ", ".join(f"{p} {n}" for p, n in sorted(kills.items()))),
        ("every replica down (s)", extra["down"]),
        ("proxy: replica refused / no replica", f"{extra['refused']} / {extra['unserved']}"),
        ("webhooks / mails received", f"{checked.webhooks_received} / {checked.mails_received}"),
        ("case events to notify", checked.events_to_notify),
        ("  of them before the customer was known", checked.before_customer_known),
        ("cases announced to the customer late", checked.announced_late),
        (
            "webhooks lost / repeats (same id)",
            f"{checked.lost_webhooks} / {checked.webhook_repeats}",
        ),
        ("cases whose opening the webhook missed", checked.lost_openings),
        ("replies the webhook missed", checked.lost_replies),
        ("replies stored twice", checked.doubled_replies),
        ("ack mails lost / repeats (same id)", f"{checked.lost_mails} / {checked.mail_repeats}"),
        ("ids received that no delivery has", checked.foreign_ids_wrong),
        ("outbox rows / deliveries left", f"{checked.outbox_left} / {checked.deliveries_left}"),
        ("SLA timers made due / fired", f"{figures.timers_forced} / {checked.timers_fired}"),
        ("SLA events / fired twice", f"{checked.sla_events} / {checked.doubled_timers}"),
        ("closes acknowledged / undone", f"{checked.closed} / {checked.closes_undone_wrong}"),
        ("quota bookings / closes booked wrong", f"{checked.booked} / {checked.bookings_wrong}"),
        ("cases booked twice", checked.doubled_bookings),
        (
            "pending entitlement at recovery / left",
            f"{checked.pending_at_recovery} / {checked.pending_left}",
        ),
        ("drain after the load (s)", "not drained" if drained is None else f"{drained:.1f}"),
        ("stack ready (s)", f"{extra['ready']:.1f}"),
        ("load (s) / wall (s)", f"{figures.seconds:.1f} / {extra['wall']:.1f}"),
    ]
    say("figures:")
    table(rows, say)


def _retries(figures: LoadFigures) -> str:
    total = sum(figures.retries.values())
    kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(figures.retries.items()))
    return f"{total} ({kinds})" if kinds else "0"


@pytest.mark.e2e
async def test_chaos_nothing_lost_nothing_doubled() -> None:
    checked, figures, extra = await chaos()
    report(checked, figures, extra)
    assert checked.failures() == {}
    assert extra["drained"] is not None
    assert len(figures.acked) >= CASES * 0.9, figures.gave_up
    assert checked.cases_stored == len(figures.acked) + checked.stored_unacked
    assert checked.events_to_notify >= len(figures.acked)
    assert checked.timers_fired > 0 and checked.sla_events > 0
    assert sum(figures.retries.values()) > 0  # the gateway's outage reached the callers
    assert checked.closed > 0 and checked.booked > 0 and checked.pending_at_recovery > 0
    kills = extra["kills"]
    assert isinstance(kills, dict) and set(kills) == {"tickets", "contracts", "notify", "gateway"}
