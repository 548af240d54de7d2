"""What the stack bench found, as it prints it: the figures of one run, the goals table
of docs/performance.md (``_goals``) and the CPU per opened case of every process group."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from _cpu import Usage
from _goals import Row, at_least, at_most, measured, recorded_value, table
from _load import rate_text
from _steps import Measured, Opened


@dataclass
class Figures:
    """Everything one run of the stack bench measured (None: not measured)."""

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
    roots: dict[str, int] = field(default_factory=dict)
    ready_seconds: float | None = None


def measured_line(measured: Measured, label: str) -> str:
    """The load's figures and the CPU per answered request of each process group."""
    if measured.served <= 0:
        return f"{measured.load.line(label)}\n  CPU per request: n/a (no request succeeded)"
    groups = ", ".join(f"{name} {measured.cpu_ms(name):.2f}" for name in measured.usage.groups)
    return f"{measured.load.line(label)}\n  CPU per request: {measured.cpu_ms():.2f} ms ({groups})"


def opened_line(label: str, opened: Opened, idle: Usage) -> str:
    drained = (
        f"caught up {opened.drained_after:.1f} s after the load"
        if opened.drained_after is not None
        else f"NOT caught up when the bench stopped waiting: {opened.left}"
    )
    return (
        f"{opened.load.line(label)}\n"
        f"  CPU per case with its fan-out: {opened.cpu_ms():.2f} ms (processes; "
        f"{opened.idle_share_ms(idle):.2f} ms of it the pollers' idle rate), "
        f"{opened.machine_ms():.2f} ms (machine less generator); "
        f"during the load alone {opened.per_request_ms(opened.load_only.stack):.2f} ms\n"
        f"  fan-out when the load stopped: {opened.at_end}; {drained}"
    )


def cpu_table(figures: Figures) -> str:
    """CPU per case opened through REST, per process group and process."""
    opened = figures.open_rest
    if opened is None:
        return ""

    def ms(seconds: float) -> str:
        return f"{opened.per_request_ms(seconds):.2f}"

    lines = [
        f"CPU ms per case opened through gateway REST, with its fan-out ({opened.served} cases):"
    ]
    for name, pids in opened.usage.processes.items():
        root = figures.roots.get(name)
        others = sorted((cpu for pid, cpu in pids.items() if pid != root), reverse=True)
        parent = "postmaster, with its ended backends" if name == "postgres" else "uvicorn parent"
        lines.append(
            f"  {name:<10} {ms(opened.usage.groups[name]):>7}   "
            f"{parent} {ms(pids.get(root or 0, 0.0))}; "
            f"{len(others)} more: "
            + ", ".join(ms(cpu) for cpu in others[:6] if cpu > 0)
            + (" …" if len(others) > 6 else "")
        )
    lines.append(f"  {'all':<10} {opened.cpu_ms():7.2f}")
    lines.append(
        f"  {'machine':<10} {opened.machine_ms():7.2f}   busy time less the load generator, the "
        "bench and its sinks (includes whatever else runs on this machine)"
    )
    return "\n".join(lines)


def _rate_text(m: Measured | None) -> str:
    return "n/a" if m is None else rate_text(m.load.rate)


def _latencies(m: Measured | None) -> str:
    return "n/a" if m is None else f"{m.load.p50_ms:.0f} / {m.load.p99_ms:.0f} ms"


def _ratio(a: Measured | None, b: Measured | None) -> float | None:
    if a is None or b is None or not b.load.rate:
        return None
    return a.load.rate / b.load.rate


def _fmt(value: float | None, pattern: str) -> str:
    return pattern.format(value) if value is not None and measured(value) else "n/a"


def goal_rows(figures: Figures) -> list[Row]:
    rest, gql = figures.open_rest, figures.open_graphql
    helpdesk, bare = figures.helpdesk_create, figures.bare_insert
    peer = "helpdesk " + _rate_text(helpdesk) if helpdesk else (figures.helpdesk_note or "n/a")
    rows = [
        Row(
            "CPU per opened case (REST), whole stack + fan-out",
            _fmt(rest.cpu_ms() if rest else None, "{:.2f} ms")
            + _fmt(rest.machine_ms() if rest else None, " (machine {:.2f}")
            + _fmt(
                rest.idle_share_ms(figures.idle) if rest and figures.idle else None,
                "; idle pollers {:.2f})",
            ),
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
                _rate_text(opened) + _fmt(ratio, " = {:.1f}x"),
                peer,
                ">= 2x (stretch 4x)",
                at_least(ratio, 2.0),
            ),
            Row(
                f"opens/s via gateway {label} vs bare insert",
                _fmt(_ratio(opened, bare), "{:.2f}x"),
                "bare " + _rate_text(bare),
                ">= 0.35x",
                at_least(_ratio(opened, bare), 0.35),
            ),
            Row(
                f"open p50 / p99 via gateway {label}, c=16",
                _latencies(opened),
                "helpdesk " + _latencies(helpdesk),
                "p99 <= 150 ms",
                at_most(opened.load.p99_ms if opened else None, 150.0),
            ),
        ]
    if rest is not None:
        mails, hooks = rest.owed_at_end
        lag = max(mails, hooks) / rest.load.rate if rest.load.rate else None
        drained = (
            f"drained {rest.drained_after:.1f} s later"
            if rest.drained_after is not None
            else "NOT drained: " + rest.left
        )
        rows.append(
            Row(
                "fan-out after the REST open load (notify backlog)",
                f"owed {mails} mails, {hooks} webhooks" + _fmt(lag, " = {:.1f} s of opens"),
                f"{rest.served} cases; {drained}",
                "keeps up (lag <= 2 s)",
                None if lag is None else lag <= 2.0 and rest.drained_after is not None,
            )
        )
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
                _rate_text(read) + _fmt(ratio, " = {:.2f}x"),
                f"direct {_rate_text(direct)}, helpdesk {_rate_text(figures.helpdesk_fetch)}",
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


def goals_table(figures: Figures) -> str:
    """The goals of docs/performance.md with this run's figures, as printed."""
    return table(goal_rows(figures))
