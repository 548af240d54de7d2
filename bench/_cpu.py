"""CPU accounting from /proc, as docs/performance.md says to count it.

Two readings, before and after a fixed-length load:

- per process group (a piece's uvicorn master and its workers, PostgreSQL's postmaster
  and its backends): ``utime + stime`` of every live process in the tree plus
  ``cutime + cstime`` (the CPU of children it has reaped), so a backend that ended
  between the readings still counts: the postmaster reaps its backends;
- the machine: busy time from /proc/stat, from which the caller takes away what is not
  the stack (the load generator, the bench itself, its mail and webhook sinks). On a
  machine shared with other work this figure includes that work too.
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")
PROC = Path("/proc")


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (state is index 0)."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()


def process_seconds(pid: int, *, with_reaped_children: bool = True) -> float:
    """CPU seconds of one process (0 if it is gone)."""
    fields = _stat_fields(pid)
    if fields is None:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    if with_reaped_children:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
    return ticks / TICK


def _parents() -> dict[int, int]:
    parents = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None:
                parents[int(entry.name)] = int(fields[1])
    return parents


def process_tree(root: int, parents: Mapping[int, int] | None = None) -> list[int]:
    """``root`` and every live descendant of it."""
    parents = parents if parents is not None else _parents()
    children: dict[int, list[int]] = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        if pid in parents or pid == root:
            tree.append(pid)
            todo.extend(children.get(pid, ()))
    return sorted(tree)


def machine_busy_seconds() -> float:
    """Busy CPU seconds of the whole machine since boot (all cores)."""
    first = (PROC / "stat").read_text().splitlines()[0].split()
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in first[1:9])
    return (user + nice + system + irq + softirq + steal) / TICK


def own_seconds() -> tuple[float, float]:
    """CPU seconds of this process, and of its children it has waited for."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, children.ru_utime + children.ru_stime


@dataclass
class Reading:
    """CPU seconds per process of each group, the machine's busy seconds, and the bench's."""

    at: float
    groups: dict[str, dict[int, float]]
    machine: float
    bench_self: float
    bench_children: float
    outsiders: dict[int, float] = field(default_factory=dict)


@dataclass
class Usage:
    """CPU spent between two readings."""

    seconds: float
    groups: dict[str, float]
    processes: dict[str, dict[int, float]]
    machine: float  # the machine's busy time less the load generator, bench and sinks
    bench: float  # this process's own

    @property
    def stack(self) -> float:
        return sum(self.groups.values())


@dataclass
class CpuMeter:
    """Reads the process groups given by their root pids (re-read each time: workers may
    be replaced) and ``outsiders``, processes that run on the machine for the bench (the
    sinks) whose CPU is taken off the machine's figure."""

    roots: Mapping[str, int]
    outsiders: Iterable[int] = ()

    def read(self) -> Reading:
        parents = _parents()
        groups = {
            name: {pid: process_seconds(pid) for pid in process_tree(root, parents)}
            for name, root in self.roots.items()
        }
        bench_self, bench_children = own_seconds()
        return Reading(
            at=time.monotonic(),
            groups=groups,
            machine=machine_busy_seconds(),
            bench_self=bench_self,
            bench_children=bench_children,
            outsiders={pid: process_seconds(pid) for pid in self.outsiders},
        )

    @staticmethod
    def usage(before: Reading, after: Reading) -> Usage:
        """What the groups spent in between. A group's total is compared, not its
        processes one by one: a process that ended meanwhile is in its parent's reaped
        children's time by the second reading."""
        groups = {
            name: sum(after.groups[name].values()) - sum(before.groups.get(name, {}).values())
            for name in after.groups
        }
        processes = {
            name: {
                pid: cpu - before.groups.get(name, {}).get(pid, 0.0) for pid, cpu in pids.items()
            }
            for name, pids in after.groups.items()
        }
        not_stack = (
            (after.bench_self - before.bench_self)
            + (after.bench_children - before.bench_children)
            + sum(after.outsiders[pid] - before.outsiders.get(pid, 0.0) for pid in after.outsiders)
        )
        return Usage(
            seconds=after.at - before.at,
            groups=groups,
            processes=processes,
            machine=(after.machine - before.machine) - not_stack,
            bench=after.bench_self - before.bench_self,
        )


def postmaster_pid(data_dir: Path) -> int:
    """The pid of the PostgreSQL server whose data folder this is."""
    return int((data_dir / "postmaster.pid").read_text().splitlines()[0])


def resident_mb(pid: int) -> float:
    """Resident memory of one process in MB (0 if it is gone)."""
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0
