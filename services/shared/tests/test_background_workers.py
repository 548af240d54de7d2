"""The shutdown order of a piece's background loops: SIGTERM stops the ones that claim work
and hands the signal on; the ones serving the requests still draining run until the
lifespan's shutdown; a loop that ignores its stop is cancelled within the grace and its
release still runs."""

from __future__ import annotations

import asyncio
import os
import signal
from types import FrameType

from careplane_shared.app import BackgroundWorkers, stop_on_sigterm
from careplane_shared.leases import RELEASE_TIMEOUT_SECONDS, releasing


async def test_sigterm_stops_the_claiming_loops_and_reaches_the_previous_handler() -> None:
    workers = BackgroundWorkers()
    ended: list[str] = []

    async def loop(name: str, stop: asyncio.Event) -> None:
        await stop.wait()
        ended.append(name)

    received: list[int] = []

    def previous(signum: int, frame: FrameType | None) -> None:  # uvicorn's, in a process
        received.append(signum)

    before = signal.signal(signal.SIGTERM, previous)
    try:
        with stop_on_sigterm(workers.stop):
            workers.start("claims", lambda stop: loop("claims", stop))
            workers.start("publishes", lambda stop: loop("publishes", stop), serves_requests=True)
            os.kill(os.getpid(), signal.SIGTERM)
            await asyncio.wait_for(workers.stop.wait(), 10)
            await asyncio.sleep(0)  # the stopped loop runs to its end
            assert received == [signal.SIGTERM]
            assert ended == ["claims"]  # the publisher serves the drain
            summary = await workers.shutdown()
        assert signal.getsignal(signal.SIGTERM) is previous  # put back
    finally:
        signal.signal(signal.SIGTERM, before)
    assert ended == ["claims", "publishes"]
    assert summary["workers"] == 2
    assert summary["workers_cancelled"] == []


async def test_a_loop_that_ignores_stop_is_cancelled_and_its_release_still_runs() -> None:
    workers = BackgroundWorkers()
    released: list[list[int]] = []
    claimed = asyncio.Event()

    async def release(keys: list[int]) -> int:
        await asyncio.sleep(0.01)  # a statement's round trip, finished despite the cancel
        released.append(keys)
        return len(keys)

    async def stubborn(stop: asyncio.Event) -> None:
        async with releasing("stubborn", release) as held:
            held.claimed([1, 2, 3])
            held.settled([1])
            claimed.set()
            await asyncio.Event().wait()  # the item in hand never ends

    workers.start("stubborn", stubborn)
    await asyncio.wait_for(claimed.wait(), 10)
    summary = await workers.shutdown(grace_seconds=RELEASE_TIMEOUT_SECONDS)
    assert released == [[2, 3]]
    assert summary["workers_cancelled"] == ["stubborn"]
    assert summary["workers_stuck"] == []
    assert summary["leases_released"] == {"stubborn": 2}
    assert await workers.shutdown() is summary  # once
