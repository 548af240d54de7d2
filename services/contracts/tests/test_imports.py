"""No import cycles among contracts' modules (every import counts, a function's body
included; ``if TYPE_CHECKING:`` imports are not followed). Domain packages reach each
other through their services and repositories, never back up through a router."""

from __future__ import annotations

from pathlib import Path

import contracts
from careplane_shared.testing.imports import cycles, describe, import_graph

PACKAGE = "contracts"
ROOT = Path(contracts.__file__).parent


def test_contracts_has_no_import_cycle() -> None:
    graph = import_graph(ROOT, PACKAGE)
    assert {"contracts.entitlement.service", "contracts.customers.service"} <= set(graph)
    found = cycles(graph)
    assert not found, describe(PACKAGE, found)
