"""The announcements worker stopped mid-batch: the announcement in hand is sent, the rest
of its claim is scheduled again at once (no lease to wait for), and another worker sends
them, each announcement once. The real contracts app answers; the test holds its turn on
the connection contracts runs on, which keeps the first announcement in hand."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sqlalchemy import text

from careplane_shared.auth import Role
from careplane_shared.testing import asgi_client
from careplane_shared.testing.transport import SerialTransport
from notify.announcements.sender import AnnouncementSender

LIFECYCLE = {"GA": "2024-09-01", "EOS": "2031-06-30", "EOMS": "2032-06-30", "EOL": "2033-06-30"}


class ContractsTurns(SerialTransport):
    """The serial way to contracts, saying when a request waits for its turn."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        super().__init__(inner)
        self.asked = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.asked.set()
        return await super().handle_async_request(request)


async def _announcements(engine: Any) -> list[Any]:
    async with engine.connect() as c:
        return list(
            await c.execute(
                text(
                    "SELECT a.status, a.locked_by, a.attempts, (SELECT count(*) FROM deliveries d "
                    "WHERE d.event_id = 'announcement:' || a.id) AS mails "
                    "FROM announcements a ORDER BY a.milestone"
                )
            )
        )


async def test_stopped_mid_batch_sends_the_one_in_hand_and_reschedules_the_rest(
    live_notify: Any, contracts_app: Any, tideway: str, notify_minter: Any, notify_engine: Any
) -> None:
    turns = ContractsTurns(httpx.ASGITransport(app=contracts_app))
    async with (
        live_notify(contracts_transport=turns) as app,
        asgi_client(app) as client,
    ):
        event = {
            "specversion": "1.0",
            "id": "milestones-1",
            "source": "contracts",
            "type": "lifecycle.milestones_changed",
            "data": {
                "product_id": tideway,
                "product_name": "Tideway",
                "major": 3,
                "changed": ["EOS", "EOMS", "EOL"],
                "before": {"GA": "2024-09-01", "EOS": None, "EOMS": None, "EOL": None},
                "after": LIFECYCLE,
            },
        }
        answer = await client.post(
            "/v1/events", json=event, headers=notify_minter.headers(Role.SERVICE)
        )
        assert answer.status_code == 202, answer.text
        async with notify_engine.begin() as c:
            due = await c.execute(text("UPDATE announcements SET announce_at = now()"))
        assert due.rowcount == 3

        stop = asyncio.Event()
        await turns.lock.acquire()  # contracts is busy: the first announcement waits in hand
        try:
            round_ = asyncio.create_task(app.state.jobs.run_once(stop=stop))
            await asyncio.wait_for(turns.asked.wait(), 20)
            stop.set()  # SIGTERM
        finally:
            turns.lock.release()
        done = await asyncio.wait_for(round_, 20)
        assert (done.announcements, done.digests) == (1, 0)

        rows = await _announcements(notify_engine)
        assert sorted((r.status, r.locked_by, r.attempts) for r in rows) == [
            ("scheduled", None, 0),
            ("scheduled", None, 0),
            ("sent", None, 1),
        ]

        other = AnnouncementSender(
            app.state.database.sessionmaker,
            app.state.contracts,
            app.state.settings,
            worker_id="other",
        )
        assert await other.run_once() == 2

    rows = await _announcements(notify_engine)
    assert [(r.status, r.attempts) for r in rows] == [("sent", 1)] * 3
    mails = {r.mails for r in rows}
    assert len(mails) == 1 and mails.pop() > 0  # each written once, to the same customers
