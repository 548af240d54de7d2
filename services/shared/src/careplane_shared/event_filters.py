"""Which destinations an event goes to: per-destination type filters of the outbox
(:mod:`careplane_shared.events.outbox`); pure, so settings can validate them too.

A destination's filter is a list of patterns, each an exact event type (``ticket.closed``)
or a prefix wildcard (``billing.*``: every type that starts with ``billing.``; ``*`` alone:
every type). A destination without a filter gets every event, so a service configured
with none behaves as before; a destination whose filter is an empty list gets none.

Why: every outbox row is posted by the relay and kept by the receiver's inbox for
idempotency even when no handler acts on it, so an event a receiver ignores costs CPU in
three places (sender's relay, receiver's inbox, PostgreSQL) for nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

WILDCARD = "*"
# An exact type (dot-separated words), a prefix wildcard ("billing.*") or "*" alone.
_PATTERN = re.compile(r"^(\*|[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*(\.\*)?)$")


def valid_pattern(pattern: str) -> bool:
    """Whether ``pattern`` is an exact type, a prefix wildcard ending in ``.*``, or ``*``."""
    return _PATTERN.fullmatch(pattern) is not None


def matches(pattern: str, event_type: str) -> bool:
    """Whether one pattern lets ``event_type`` through."""
    if pattern == WILDCARD:
        return True
    if pattern.endswith(".*"):
        return event_type.startswith(pattern[:-1])
    return event_type == pattern


def wants(patterns: Sequence[str] | None, event_type: str) -> bool:
    """Whether a destination with these patterns (None: no filter) gets ``event_type``."""
    return patterns is None or any(matches(p, event_type) for p in patterns)


def destinations_for(
    event_type: str,
    destinations: Iterable[str],
    event_types: Mapping[str, Sequence[str]],
) -> list[str]:
    """The destinations, in their order, that get an event of ``event_type``."""
    return [d for d in destinations if wants(event_types.get(d), event_type)]


def invalid_patterns(event_types: Mapping[str, Sequence[str]]) -> list[str]:
    """Every pattern of the filters that is neither an exact type nor a prefix wildcard."""
    return [p for patterns in event_types.values() for p in patterns if not valid_pattern(p)]
