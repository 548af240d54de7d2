"""The intake worker stopped mid-batch: the mail in hand is finished (or abandoned when the
worker is cancelled), the rest of its claim is released at once, so another claimer takes
it without waiting for the lease, and no mail is processed twice.

Tickets commits for real here (a database of its own), with the real contracts app
in-process; the test holds the advisory lock the intake takes per sender, which keeps the
first mail in hand for as long as the test likes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from fastapi import FastAPI
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from careplane_shared.app import BackgroundWorkers
from careplane_shared.leases import RELEASE_TIMEOUT_SECONDS
from careplane_shared.testing.pieces import TICKETS
from careplane_shared.testing.service import ServiceDatabase, verifier_of
from careplane_shared.testing.transport import RecordingTransport
from tickets.inbound import storage
from tickets.inbound.intake import drain, run_intake_worker
from tickets.inbound.models import InboundMessage

SUPPORT = "support@careplane.example"
FIRST = "first@nowhere.example"
SENDERS = (FIRST, "second@nowhere.example", "third@nowhere.example")


def _raw(sender: str) -> bytes:
    return (
        f"From: {sender}\r\nTo: {SUPPORT}\r\nSubject: help\r\n"
        f"Message-ID: <{sender}>\r\n\r\nThe export fails.\r\n"
    ).encode()


@pytest.fixture
async def intake_app(
    committed_database: ServiceDatabase,
    contracts_app: FastAPI,
    contracts_transport: RecordingTransport,
    tmp_path: Path,
) -> AsyncIterator[FastAPI]:
    settings = TICKETS.settings(
        committed_database,
        token_url="http://contracts/auth/token",
        attachments_dir=tmp_path / "attachments",
    )
    async with TICKETS.app(
        settings,
        token_verifier=verifier_of(contracts_app),
        contracts_transport=contracts_transport,
    ) as app:
        maker = app.state.database.sessionmaker
        async with maker() as session, session.begin():
            await session.execute(delete(InboundMessage))
            for sender in SENDERS:
                await storage.store(
                    session, _raw(sender), source="smtp", mail_from=sender, rcpt_to=[SUPPORT]
                )
                await session.flush()
        yield app


@pytest.fixture
async def first_sender_held(
    committed_database: ServiceDatabase,
) -> AsyncIterator[asyncpg.Connection]:
    """A connection holding the intake's lock on the first sender (until it commits)."""
    dsn = committed_database.url.replace("postgresql+asyncpg://", "postgresql://")
    holder = await asyncpg.connect(dsn)
    try:
        await holder.execute("BEGIN")
        await holder.execute("SELECT pg_advisory_xact_lock(hashtext('inbound:' || $1))", FIRST)
        yield holder
    finally:
        await holder.close()


async def _until_waiting(holder: asyncpg.Connection) -> None:
    """Until the intake waits for the first sender's lock (bounded)."""
    for _ in range(400):
        waiting = await holder.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        )
        if waiting:
            return
        await asyncio.sleep(0.05)
    pytest.fail("the intake never reached the first mail")


async def _rows(maker: async_sessionmaker[AsyncSession]) -> dict[str, InboundMessage]:
    async with maker() as session:
        rows = (await session.scalars(select(InboundMessage))).all()
    return {row.mail_from or "": row for row in rows}


async def test_stopped_between_mails_finishes_the_one_in_hand_and_releases_the_rest(
    intake_app: FastAPI, first_sender_held: asyncpg.Connection
) -> None:
    state = intake_app.state
    maker = state.database.sessionmaker
    stop = asyncio.Event()
    worker = asyncio.create_task(
        drain(maker, state.inbound_services, state.inbound_config, stop=stop)
    )
    await _until_waiting(first_sender_held)
    stop.set()
    await first_sender_held.execute("COMMIT")
    assert await asyncio.wait_for(worker, 30) == 1

    rows = await _rows(maker)
    assert rows[FIRST].status == "DONE"
    for sender in SENDERS[1:]:
        assert rows[sender].status == "RECEIVED"
        assert rows[sender].locked_until is None
        assert rows[sender].attempts == 0

    # Another claimer takes them now, not when the lease would have run out.
    assert await drain(maker, state.inbound_services, state.inbound_config) == 2
    rows = await _rows(maker)
    assert {row.status for row in rows.values()} == {"DONE"}
    assert {row.attempts for row in rows.values()} == {1}


async def test_cancelled_in_hand_releases_the_whole_claim(
    intake_app: FastAPI, first_sender_held: asyncpg.Connection
) -> None:
    state = intake_app.state
    maker = state.database.sessionmaker
    workers = BackgroundWorkers()
    workers.start(
        "mail-intake",
        lambda stop: run_intake_worker(
            maker,
            state.inbound_services,
            state.inbound_config,
            stop,
            asyncio.Event(),
            poll_seconds=60,
        ),
    )
    await _until_waiting(first_sender_held)
    # No time to finish: cancelled at once, the releases still run.
    summary = await workers.shutdown(grace_seconds=RELEASE_TIMEOUT_SECONDS)
    assert summary["workers_cancelled"] == ["mail-intake"]
    assert summary["workers_stuck"] == []
    assert summary["leases_released"] == {"mail-intake": 3}

    rows = await _rows(maker)
    assert {row.status for row in rows.values()} == {"RECEIVED"}
    assert {row.locked_until for row in rows.values()} == {None}
    assert {row.attempts for row in rows.values()} == {0}

    await first_sender_held.execute("COMMIT")
    assert await drain(maker, state.inbound_services, state.inbound_config) == 3
    rows = await _rows(maker)
    assert {row.status for row in rows.values()} == {"DONE"}
    assert {row.attempts for row in rows.values()} == {1}
