"""Every error code the pieces can answer, read off their source.

`python tests/error_codes.py` prints the table of docs/errors.md; tests/test_docs.py fails
when a code raised anywhere is missing from the docs. Codes are found where errors are
made: a `code = "..."` on an error class, a `code="..."` argument, the code given to
`error_response` or to a live stream's end, `{"code": "..."}` in a GraphQL error's
extensions, and module constants named after their own value (`RATE_LIMITED =
"RATE_LIMITED"`).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = {
    "shared": ROOT / "services" / "shared" / "src",
    "tickets": ROOT / "services" / "tickets" / "src",
    "contracts": ROOT / "services" / "contracts" / "src",
    "notify": ROOT / "services" / "notify" / "src",
    "gateway": ROOT / "gateway" / "src",
}
CODE = re.compile(r"^[A-Z][A-Z0-9_]{2,}$")
BASE_STATUS = {
    "CareplaneError": 400,
    "NotFound": 404,
    "Conflict": 409,
    "Unauthenticated": 401,
    "Forbidden": 403,
    "ValidationFailed": 422,
    "TooManyRequests": 429,
    "ServiceUnavailable": 503,
}


# Codes whose source names them without a message (GraphQL errors, stream ends).
NOTES: dict[str, tuple[int | None, str]] = {
    "BAD_GATEWAY": (502, "A service answered something the gateway could not use."),
    "SERVICE_TIMEOUT": (504, "A service did not answer in time."),
    "GRAPHQL_PARSE_FAILED": (None, "The GraphQL document could not be parsed."),
    "GRAPHQL_VALIDATION_FAILED": (None, "The GraphQL document does not fit the schema."),
    "INTROSPECTION_DISABLED": (None, "Introspection is off outside dev."),
    "INVALID_CURSOR": (None, "The `after` cursor is not one this connection gave out."),
    "QUERY_TOO_COMPLEX": (None, "The operation could cause more service calls than allowed."),
    "TOO_MANY_ALIASES": (None, "The operation uses more aliases than allowed."),
    "TOO_MANY_FIELDS": (None, "The operation selects more fields than allowed."),
    "RATE_LIMITED": (429, "Too many requests from this caller; see Retry-After."),
    "ATTACHMENT_TOO_LARGE": (413, "The file is larger than the attachment limit."),
    "SIMULATION_INVALID": (422, "The simulated timeline is not possible (the message says why)."),
}


@dataclass
class ErrorCode:
    code: str
    status: int | None = None
    message: str | None = None
    pieces: set[str] = field(default_factory=set)


def _text(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):  # an f-string: its words, "…" for what it fills in
        return "".join(_text(part) or "…" for part in node.values)
    return None


def _status(node: ast.AST | None) -> int | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    if isinstance(node, ast.Attribute):
        found = re.match(r"HTTP_(\d{3})", node.attr)
        return int(found.group(1)) if found else None
    return None


def _trees() -> list[tuple[str, ast.Module]]:
    return [
        (piece, ast.parse(path.read_text(encoding="utf-8")))
        for piece, root in SOURCES.items()
        for path in sorted(root.rglob("*.py"))
    ]


def _class_statuses(trees: list[tuple[str, ast.Module]]) -> dict[str, int]:
    """Error class name → HTTP status, through its bases."""
    bases: dict[str, list[str]] = {}
    own: dict[str, int] = {}
    for _, tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = [getattr(b, "id", getattr(b, "attr", "")) for b in node.bases]
                for statement in node.body:
                    if (
                        isinstance(statement, ast.Assign | ast.AnnAssign)
                        and getattr(
                            statement.targets[0]
                            if isinstance(statement, ast.Assign)
                            else statement.target,
                            "id",
                            None,
                        )
                        == "status_code"
                    ):
                        status = _status(statement.value)
                        if status is not None:
                            own[node.name] = status

    def resolve(name: str, seen: frozenset[str] = frozenset()) -> int | None:
        if name in own:
            return own[name]
        if name in BASE_STATUS and name not in bases:
            return BASE_STATUS[name]
        for base in bases.get(name, []):
            if base not in seen:
                status = resolve(base, seen | {name})
                if status is not None:
                    return status
        return BASE_STATUS.get(name)

    return {name: status for name in {*bases, *BASE_STATUS} if (status := resolve(name))}


def error_codes() -> dict[str, ErrorCode]:
    trees = _trees()
    statuses = _class_statuses(trees)
    codes: dict[str, ErrorCode] = {}

    def note(code: str | None, piece: str, status: int | None, message: str | None) -> None:
        if code is None or not CODE.match(code):
            return
        entry = codes.setdefault(code, ErrorCode(code))
        entry.pieces.add(piece)
        entry.status = entry.status or status
        entry.message = entry.message or message

    for piece, tree in trees:
        for statement in tree.body:
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                target = statement.targets[0]
                value = _text(statement.value)
                if isinstance(target, ast.Name) and value == target.id:
                    note(value, piece, None, None)
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                attrs = {
                    s.targets[0].id: s.value
                    for s in node.body
                    if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name)
                }
                note(
                    _text(attrs.get("code")),
                    piece,
                    statuses.get(node.name),
                    _text(attrs.get("message")),
                )
            elif isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                first = _text(node.args[0]) if node.args else None
                for keyword in node.keywords:
                    if keyword.arg == "code":
                        note(_text(keyword.value), piece, statuses.get(name or ""), first)
                if name == "error_response" and len(node.args) >= 3:
                    note(_text(node.args[1]), piece, _status(node.args[0]), _text(node.args[2]))
                if name == "StreamEnd" and node.args:
                    second = _text(node.args[1]) if len(node.args) > 1 else None
                    note(first, piece, None, second)
            elif isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if _text(key) == "code":
                        note(_text(value), piece, None, None)
    return codes


def table() -> str:
    lines = ["| code | HTTP | raised by | what it says |", "| --- | --- | --- | --- |"]
    for entry in sorted(error_codes().values(), key=lambda e: e.code):
        noted_status, noted = NOTES.get(entry.code, (None, ""))
        message = (entry.message or noted).replace("|", "\\|")
        status = str(entry.status or noted_status or "")
        lines.append(
            f"| `{entry.code}` | {status} | {', '.join(sorted(entry.pieces))} | {message} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
