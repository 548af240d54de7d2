"""Giving claimed work back when a background worker stops.

Every loop that claims rows under a lease keeps one contract on shutdown:

- it checks ``stop`` before each claim and between the items of a claim;
- the item in hand is finished and recorded normally, or abandoned when the loop is
  cancelled (its transaction rolls back);
- the rows it claimed and has not settled are released at once, so another replica takes
  them now instead of when the lease runs out. The release runs in a ``finally`` that
  survives cancellation: shielded, and bounded by ``RELEASE_TIMEOUT_SECONDS``.

A loop keeps its claimed rows in a :class:`HeldLeases` from :func:`releasing`; it says
what a release is (one ``UPDATE`` guarded by "still claimed by me") and nothing else.
What was released is counted under the worker's name for the piece's shutdown line
(:class:`careplane_shared.app.BackgroundWorkers`).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from typing import Generic, TypeVar

import structlog

log = structlog.get_logger(__name__)

K = TypeVar("K")

RELEASE_TIMEOUT_SECONDS = 2.0
"""How long a release may take: a stopping worker must not outlive the piece's grace."""

_released: ContextVar[Counter[str] | None] = ContextVar("careplane_released", default=None)


@contextmanager
def counting_releases(tally: Counter[str]) -> Iterator[None]:
    """Releases made by tasks created inside the block are counted in ``tally`` (a task
    copies the context it is created in)."""
    token = _released.set(tally)
    try:
        yield
    finally:
        _released.reset(token)


def cancelled_meanwhile() -> bool:
    """Whether the running task has been cancelled, also when the ``CancelledError`` was
    turned into another error on its way out (SQLAlchemy's session, closing a connection
    cancelled mid-query, raises its own): a loop then abandons the item in hand instead of
    recording a failure."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


class HeldLeases(Generic[K]):
    """The keys of the rows a worker claimed and has not settled yet, in claim order."""

    def __init__(self) -> None:
        self._keys: dict[K, None] = {}

    def claimed(self, keys: Iterable[K]) -> None:
        self._keys.update(dict.fromkeys(keys))

    def settled(self, keys: Iterable[K]) -> None:
        for key in keys:
            self._keys.pop(key, None)

    def __len__(self) -> int:
        return len(self._keys)

    def pending(self) -> list[K]:
        return list(self._keys)


@asynccontextmanager
async def releasing(
    worker: str,
    release: Callable[[list[K]], Awaitable[int]],
    *,
    limit_seconds: float = RELEASE_TIMEOUT_SECONDS,
) -> AsyncIterator[HeldLeases[K]]:
    """Yields the worker's :class:`HeldLeases`; whatever is still held when the block
    ends (stopped mid-batch, an error, cancellation) is given back by ``release``, which
    returns how many rows it let go."""
    held: HeldLeases[K] = HeldLeases()
    try:
        yield held
    finally:
        if held:
            await release_shielded(worker, release, held.pending(), limit_seconds=limit_seconds)


async def release_shielded(
    worker: str,
    release: Callable[[list[K]], Awaitable[int]],
    keys: list[K],
    *,
    limit_seconds: float = RELEASE_TIMEOUT_SECONDS,
) -> int:
    """Runs ``release(keys)`` to its end even when the caller is cancelled meanwhile
    (the cancellation is passed on afterwards), for at most ``limit_seconds``; a failure
    is logged (the leases then run out as after a crash). Returns the count."""
    task = asyncio.ensure_future(asyncio.wait_for(release(keys), limit_seconds))
    try:
        # Shielded: a cancelled wait leaves the task running.
        await asyncio.wait({task})
    except asyncio.CancelledError:
        await asyncio.wait({task})
        _settle(worker, task, len(keys))
        raise
    return _settle(worker, task, len(keys))


def _settle(worker: str, task: asyncio.Future[int], held: int) -> int:
    if task.cancelled() or task.exception() is not None:
        error = "cancelled" if task.cancelled() else repr(task.exception())
        log.warning("lease_release_failed", worker=worker, held=held, error=error)
        return 0
    released = task.result()
    tally = _released.get()
    if tally is not None:
        tally[worker] += released
    log.info("leases_released", worker=worker, held=held, released=released)
    return released
