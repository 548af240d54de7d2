"""No import cycles in the shared library (every import counts, a function's body
included; ``if TYPE_CHECKING:`` imports are not followed). A package's ``__init__`` may
gather its modules, but its modules then import their siblings, never the package."""

from __future__ import annotations

from pathlib import Path

import careplane_shared
from careplane_shared.testing.imports import cycles, describe, import_graph

PACKAGE = "careplane_shared"
ROOT = Path(careplane_shared.__file__).parent


def test_the_shared_library_has_no_import_cycle() -> None:
    graph = import_graph(ROOT, PACKAGE)
    assert {"careplane_shared.auth", "careplane_shared.db"} <= set(graph)
    found = cycles(graph)
    assert not found, describe(PACKAGE, found)
