"""Counting the SQL a piece of code runs, for tests that pin how many statements a path
costs (an open, a read, an entitlement check)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection


@contextmanager
def statements(connection: AsyncConnection) -> Iterator[list[str]]:
    """The SQL run on ``connection`` meanwhile, savepoints left out."""
    seen: list[str] = []

    def record(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        if "SAVEPOINT" not in statement:
            seen.append(statement)

    sync = connection.sync_connection
    assert sync is not None
    event.listen(sync, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(sync, "before_cursor_execute", record)
