"""The goals of docs/performance.md as a printed table: each goal, the figure measured in
this run, the reference measured beside it, and whether the figure meets the goal.
Printed, never asserted.

Figures of the benches that run apart (the SLA engine, webhook deliveries) reach the
table through a results file: ``make bench`` sets ``BENCH_RESULTS`` to a fresh JSON file,
each bench ``record()``s its figures there, and the stack bench, which runs last, reads
them back. Run alone, a bench records nothing and the table says the figure was not
measured in this run.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

RESULTS_ENV = "BENCH_RESULTS"


def _results_file() -> Path | None:
    path = os.environ.get(RESULTS_ENV, "").strip()
    return Path(path) if path else None


def record(key: str, value: float, note: str = "") -> None:
    """Keeps one figure of this ``make bench`` run for the goals table."""
    path = _results_file()
    if path is None:
        return
    results = recorded()
    results[key] = {"value": value, "note": note}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2))


def recorded() -> dict[str, dict[str, object]]:
    path = _results_file()
    if path is None or not path.exists():
        return {}
    return dict(json.loads(path.read_text()))


def recorded_value(key: str) -> tuple[float | None, str]:
    entry = recorded().get(key)
    if entry is None:
        return None, "not measured in this run"
    value = entry["value"]
    return (float(value) if isinstance(value, int | float) else None), str(entry.get("note", ""))


@dataclass
class Row:
    goal: str
    figure: str
    reference: str
    target: str
    met: bool | None  # None: not measured

    @property
    def verdict(self) -> str:
        return {True: "met", False: "NOT met", None: "n/a"}[self.met]


def measured(value: float | None) -> bool:
    return value is not None and not math.isnan(value)


def at_most(value: float | None, limit: float) -> bool | None:
    return value <= limit if value is not None and measured(value) else None


def at_least(value: float | None, limit: float) -> bool | None:
    return value >= limit if value is not None and measured(value) else None


def table(rows: list[Row]) -> str:
    header = ("goal", "measured", "same-run reference", "target", "verdict")
    cells = [header] + [(r.goal, r.figure, r.reference, r.target, r.verdict) for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row: tuple[str, ...]) -> str:
        padded = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join("-" * (width + 2) for width in widths) + "|"
    return "\n".join([line(header), rule, *(line(row) for row in cells[1:])])
