"""Connections: one shape for every paginated list, in every domain.

``XConnection { totalCount, nodes, edges { cursor node }, pageInfo }`` with ``first`` and
``after``, as Relay and GitHub shape them (``tickets(filter, first, after): TicketConnection!``
in docs/api.md is one). The services page by offset; a cursor is the item's position in the
list, opaque to callers, so ``after`` resumes right behind that item.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

import strawberry
from strawberry.types.nodes import SelectedField, Selection

from careplane_gateway.graphql.arguments import VALIDATION_ERROR
from careplane_gateway.graphql.convert import Row
from careplane_gateway.graphql.errors import gateway_error

NodeT = TypeVar("NodeT")

DEFAULT_PAGE_SIZE = 50
# The services' own largest page.
MAX_PAGE_SIZE = 200

INVALID_CURSOR = "INVALID_CURSOR"
_CURSOR_PREFIX = "offset:"
_MAX_CURSOR_DIGITS = 12


First = Annotated[
    int | None,
    strawberry.argument(
        description=f"Items per page: 1 to {MAX_PAGE_SIZE}, {DEFAULT_PAGE_SIZE} if unset."
    ),
]
After = Annotated[
    str | None,
    strawberry.argument(description="The cursor of the item to continue after (`endCursor`)."),
]


@strawberry.type(description="Where this page sits in the whole list.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow this page.")
    has_previous_page: bool = strawberry.field(description="Items come before this page.")
    start_cursor: str | None = strawberry.field(description="The first item's cursor.")
    end_cursor: str | None = strawberry.field(
        description="The last item's cursor: pass it as `after` for the next page."
    )


@strawberry.type(description="An item with its cursor.")
class Edge(Generic[NodeT]):
    cursor: str = strawberry.field(
        description="The item's opaque cursor: pass it as `after` to continue behind it."
    )
    node: NodeT = strawberry.field(description="The item.")


@strawberry.type(description="A page of a list, with the size of the whole list.")
class Connection(Generic[NodeT]):
    total_count: int = strawberry.field(description="Items in the whole list, on every page.")
    nodes: list[NodeT] = strawberry.field(description="This page's items.")
    edges: list[Edge[NodeT]] = strawberry.field(description="This page's items with cursors.")
    page_info: PageInfo = strawberry.field(description="Where this page sits in the whole list.")


def encode_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{position}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    number = text.removeprefix(_CURSOR_PREFIX)
    # ASCII digits only ("²" is a digit to str.isdigit but not to int) and few of them: no
    # list is that long, and int() refuses a text of thousands of digits.
    readable = number.isascii() and number.isdigit() and len(number) <= _MAX_CURSOR_DIGITS
    if not text.startswith(_CURSOR_PREFIX) or not readable:
        raise gateway_error(INVALID_CURSOR, "`after` is not a cursor this API gave out.")
    return int(number)


@dataclass(frozen=True, slots=True)
class PageRequest:
    """``first`` and ``after`` as the services' ``limit`` and ``offset``."""

    limit: int
    offset: int

    @classmethod
    def of(cls, first: int | None, after: str | None) -> PageRequest:
        limit = DEFAULT_PAGE_SIZE if first is None else first
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise gateway_error(VALIDATION_ERROR, f"`first` must be between 1 and {MAX_PAGE_SIZE}.")
        offset = 0 if after is None else decode_cursor(after) + 1
        return cls(limit=limit, offset=offset)

    def params(self) -> dict[str, int]:
        return {"limit": self.limit, "offset": self.offset}


def connection(page: Row, request: PageRequest, node: Callable[[Row], NodeT]) -> Connection[NodeT]:
    """A service's ``{"items", "total", ...}`` page as a connection."""
    nodes = [node(item) for item in page["items"]]
    edges = [
        Edge(cursor=encode_cursor(request.offset + index), node=item)
        for index, item in enumerate(nodes)
    ]
    total = int(page["total"])
    return Connection(
        total_count=total,
        nodes=nodes,
        edges=edges,
        page_info=PageInfo(
            has_next_page=request.offset + len(nodes) < total,
            has_previous_page=request.offset > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )


def _fields(selections: Iterable[Selection]) -> Iterator[SelectedField]:
    """The fields of a selection, those spread from fragments included."""
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        else:
            yield from _fields(selection.selections)


def node_fields(info: strawberry.Info[Any, Any]) -> set[str]:
    """The names of the fields the query asks of the items of the connection being resolved,
    under ``nodes`` and under ``edges { node }``: what a list needs to fetch for them."""
    names: set[str] = set()
    for connection_field in _fields(info.selected_fields):
        for part in _fields(connection_field.selections):
            if part.name == "nodes":
                names.update(field.name for field in _fields(part.selections))
            elif part.name == "edges":
                for edge_part in _fields(part.selections):
                    if edge_part.name == "node":
                        names.update(field.name for field in _fields(edge_part.selections))
    return names
