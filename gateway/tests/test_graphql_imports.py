"""No import cycles in ``careplane_gateway.graphql``.

Modules that import each other only work when imported in the right order, and only because
some import was tucked inside a function: a newcomer cannot tell which. The rule kept here:
the graph of imports between the package's modules has no cycle, counting every import
wherever it is written (a function's body included). Imports under ``if TYPE_CHECKING:`` are
for the type checker only and are not followed. Types that point at each other across
domains do so through ``strawberry.lazy`` (see ``graphql/contracts/cases.py``). The graph
and its cycles come from ``careplane_shared.testing.imports``.
"""

from __future__ import annotations

from pathlib import Path

import careplane_gateway.graphql
from careplane_shared.testing.imports import cycles, describe, import_graph, imported_modules

PACKAGE = "careplane_gateway.graphql"
ROOT = Path(careplane_gateway.graphql.__file__).parent


def test_the_graphql_package_has_no_import_cycle() -> None:
    graph = import_graph(ROOT, PACKAGE)
    assert len(graph) > 20, "the package's modules were not found"
    found = cycles(graph)
    assert not found, describe(PACKAGE, found)


def test_the_check_sees_imports_in_functions_but_not_for_the_type_checker() -> None:
    known = {
        "careplane_gateway.graphql",
        "careplane_gateway.graphql.contracts",
        "careplane_gateway.graphql.contracts.types",
        "careplane_gateway.graphql.tickets",
        "careplane_gateway.graphql.tickets.types",
        "careplane_gateway.graphql.convert",
    }
    source = (
        "from typing import TYPE_CHECKING\n"
        "from careplane_gateway.graphql.convert import to_id\n"
        "if TYPE_CHECKING:\n"
        "    from careplane_gateway.graphql.tickets.types import Ticket\n"
        "def f():\n"
        "    from careplane_gateway.graphql.contracts import types\n"
    )
    found = imported_modules(source, "careplane_gateway.graphql.notify.types", known, package=False)
    # careplane_gateway.graphql is being imported already when its notify.types runs.
    assert found == {
        "careplane_gateway.graphql.convert",
        "careplane_gateway.graphql.contracts",
        "careplane_gateway.graphql.contracts.types",
    }
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
