"""The import graph of a package's modules and its cycles, for tests that keep a package
free of them.

Modules that import each other only work when imported in the right order, and often only
because some import was tucked inside a function. The rule these helpers let a test keep:
the graph of imports between a package's modules has no cycle, counting every import
wherever it is written (a function's body included). Imports under ``if TYPE_CHECKING:``
are for the type checker only and are not followed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path


def module_name(path: Path, root: Path, package: str) -> str:
    """The dotted name of the module at ``path`` in ``package``, whose folder is ``root``."""
    parts = path.relative_to(root).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join((package, *parts))


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
    """The modules of ``known`` that module ``here`` imports (``from a.b import c`` imports
    ``a.b.c`` when that is a module, and ``a.b`` otherwise; importing ``a.b.c`` runs the
    ``__init__`` of ``a.b`` first, which counts as importing the package, unless ``here``
    lies inside ``a.b``: that package is already being imported when ``here`` runs; a
    name taken from ``a.b`` itself always counts)."""
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
                # A package ``here`` lies in is already being imported when ``here``
                # runs: reaching one of its other modules does not import it again, but
                # taking a name from the package itself does.
                inside = prefix != name and here.startswith(prefix + ".")
                if prefix in known and prefix != here and not inside:
                    found.add(prefix)
    return found


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    """Each module of ``package`` (its folder is ``root``) and the package's modules it
    imports."""
    paths = sorted(root.rglob("*.py"))
    known = {module_name(path, root, package) for path in paths}
    return {
        module_name(path, root, package): imported_modules(
            path.read_text(encoding="utf-8"),
            module_name(path, root, package),
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


def describe(package: str, found: list[list[str]]) -> str:
    """An assertion message naming each group of modules that import each other."""
    return f"Modules of {package} that import each other:\n" + "\n".join(
        "  " + " <-> ".join(component) for component in found
    )
