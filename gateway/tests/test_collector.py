"""The garbage collector while the gateway runs (``careplane_gateway.main.tuned_collector``):
what the process made before it served is frozen and young collections are rarer; both are
undone when the app stops, so that apps started and stopped one after another (as the tests
do) leave nothing frozen behind."""

from __future__ import annotations

import gc

from careplane_gateway.main import YOUNG_COLLECTION_THRESHOLD

from .conftest import GatewayFactory


async def test_the_collector_is_tuned_while_the_gateway_runs(
    start_gateway: GatewayFactory,
) -> None:
    before = gc.get_threshold()

    async with start_gateway() as client:
        answer = await client.get("/healthz")
        running = (gc.get_threshold(), gc.get_freeze_count())

    assert answer.status_code == 200
    assert running[0] == (YOUNG_COLLECTION_THRESHOLD, *before[1:])
    assert running[1] > 0
    assert (gc.get_threshold(), gc.get_freeze_count()) == (before, 0)
