"""No import cycles among tickets' modules.

Every import counts wherever it is written (a function's body included); ``if
TYPE_CHECKING:`` imports are for the type checker and are not followed. The SLA package's
``__init__`` imports none of its modules (callers import ``tickets.sla.clocks``,
``tickets.sla.calendar`` and so on directly), so the engine's modules can import each other
without running through the package.
"""

from __future__ import annotations

from pathlib import Path

import tickets
from careplane_shared.testing.imports import cycles, describe, import_graph

PACKAGE = "tickets"
ROOT = Path(tickets.__file__).parent


def test_tickets_has_no_import_cycle() -> None:
    graph = import_graph(ROOT, PACKAGE)
    assert {"tickets.main", "tickets.sla.clocks", "tickets.sla.replay"} <= set(graph)
    found = cycles(graph)
    assert not found, describe(PACKAGE, found)


def test_the_sla_package_imports_none_of_its_modules() -> None:
    graph = import_graph(ROOT, PACKAGE)
    assert "tickets.sla.replay" in graph["tickets.sla.clocks"]
    assert not graph["tickets.sla"]
