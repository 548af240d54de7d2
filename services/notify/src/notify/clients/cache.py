"""A small bounded cache whose entries expire, for answers of the other services that may be
a little stale (who a mail recipient is).

Written here rather than taken from a library: it is a few lines over ``OrderedDict``, and
the workspace carries no caching package.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class TtlCache(Generic[V]):
    """At most ``size`` entries, the least recently used dropped first; an entry older than
    ``seconds`` is never returned (``seconds`` 0: nothing is kept)."""

    def __init__(
        self, size: int, seconds: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.size = size
        self.seconds = seconds
        self._clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()

    def get(self, key: Hashable) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if expires <= self._clock():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return value

    def put(self, key: Hashable, value: V) -> None:
        if self.seconds <= 0 or self.size <= 0:
            return
        self._entries[key] = (self._clock() + self.seconds, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
