"""No import cycles in ``gateway.graphql``.

Modules that import each other only work when imported in the right order, and only because
some import was tucked inside a function: a newcomer cannot tell which. The rule kept here:
the graph of imports between the package's modules has no cycle, counting every import
wherever it is written (a function's body included). Imports under ``if TYPE_CHECKING:`` are
for the type checker only and are not followed. Types that point at each other across
domains do so through ``strawberry.lazy`` (see ``graphql/contracts/cases.py``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import gateway.graphql

PACKAGE = "gateway.graphql"
ROOT = Path(gateway.graphql.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join((PACKAGE, *parts))


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement at run time: anywhere but in an ``if TYPE_CHECKING:`` body."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _type_checking_only(node):
            for child in node.orelse:
                yield from _imports(ast.Module(body=[child], type_ignores=[]))
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        yield from _imports(node)


def imported_modules(source: str, here: str, known: set[str], *, package: bool) -> set[str]:
    """The package's modules that module ``here`` imports (``from a.b import c`` imports
    ``a.b.c`` when that is a module, and ``a.b`` otherwise; importing ``a.b.c`` runs the
    ``__init__`` of ``a.b`` first, which counts as importing the package)."""
    parent = here if package else here.rpartition(".")[0]
    found: set[str] = set()
    for node in _imports(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:
                anchor = parent.rsplit(".", node.level - 1)[0]
                base = f"{anchor}.{base}" if base else anchor
            names = [f"{base}.{alias.name}" for alias in node.names]
            names = [name if name in known else base for name in names]
        for name in names:
            parts = name.split(".")
            for end in range(2, len(parts) + 1):
                prefix = ".".join(parts[:end])
                if prefix in known and prefix != here:
                    found.add(prefix)
    return found


def import_graph() -> dict[str, set[str]]:
    paths = sorted(ROOT.rglob("*.py"))
    known = {module_name(path) for path in paths}
    return {
        module_name(path): imported_modules(
            path.read_text(encoding="utf-8"),
            module_name(path),
            known,
            package=path.name == "__init__.py",
        )
        for path in paths
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graphql_package_has_no_import_cycle() -> None:
    graph = import_graph()
    assert len(graph) > 20, "the package's modules were not found"
    found = cycles(graph)
    assert not found, "Modules of gateway.graphql that import each other:\n" + "\n".join(
        "  " + " <-> ".join(component) for component in found
    )


def test_the_check_sees_imports_in_functions_but_not_for_the_type_checker() -> None:
    known = {
        "gateway.graphql",
        "gateway.graphql.contracts",
        "gateway.graphql.contracts.types",
        "gateway.graphql.tickets",
        "gateway.graphql.tickets.types",
        "gateway.graphql.convert",
    }
    source = (
        "from typing import TYPE_CHECKING\n"
        "from gateway.graphql.convert import to_id\n"
        "if TYPE_CHECKING:\n"
        "    from gateway.graphql.tickets.types import Ticket\n"
        "def f():\n"
        "    from gateway.graphql.contracts import types\n"
    )
    found = imported_modules(source, "gateway.graphql.notify.types", known, package=False)
    assert found == {
        "gateway.graphql",
        "gateway.graphql.convert",
        "gateway.graphql.contracts",
        "gateway.graphql.contracts.types",
    }
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
