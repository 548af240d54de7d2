"""Waking the relays of this process as soon as a transaction that wrote outbox rows commits.

A relay polls its table every ``poll_seconds``; between polls an event would wait for
the next one. :meth:`Outbox.emit <careplane_shared.events.Outbox.emit>` marks the session,
and once that session's transaction commits (never when it rolls back) the relays
listening on the same table in this process are woken. The poll stays as the fallback
for rows this process did not write (another replica, a retry coming due, a relay run
apart from the app).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Table, event
from sqlalchemy.orm import Session

_WROTE = "careplane_outbox_tables"
"""``session.info`` key: the outbox tables this transaction has written rows to."""

_listeners: dict[Table, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}


def mark_written(session_info: dict[Any, Any], table: Table) -> None:
    """Called by the outbox in the writing transaction: wake the relays once it commits."""
    session_info.setdefault(_WROTE, set()).add(table)


@contextmanager
def committed_rows(table: Table) -> Iterator[asyncio.Event]:
    """An event set whenever a transaction in this process that wrote to ``table``
    commits; the relay clears it before each round."""
    listener = (asyncio.get_running_loop(), asyncio.Event())
    _listeners.setdefault(table, set()).add(listener)
    try:
        yield listener[1]
    finally:
        waiting = _listeners.get(table)
        if waiting is not None:
            waiting.discard(listener)
            if not waiting:
                del _listeners[table]


def _wake(table: Table) -> None:
    for loop, flag in tuple(_listeners.get(table, ())):
        if loop.is_closed():
            continue
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            flag.set()
        else:  # a relay on another loop (a test's, another thread's)
            loop.call_soon_threadsafe(flag.set)


@event.listens_for(Session, "after_commit")
def _wake_relays(session: Session) -> None:
    tables = session.info.pop(_WROTE, None)
    if tables:
        for table in tables:
            _wake(table)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_WROTE, None)
