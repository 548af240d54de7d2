"""Scheduled work beside the delivery queue: due lifecycle announcements and staff digests.

Both write ordinary deliveries, which the delivery workers then send, retry and record.
Any number of processes may run this loop: announcements are claimed under leases and held
digest items with ``SKIP LOCKED``.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notify.announcements.sender import AnnouncementSender
from notify.clients.contracts import ContractsClient
from notify.config import NotifySettings
from notify.digest import service as digest

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class JobsRound:
    announcements: int
    digests: int


class ScheduledJobs:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        contracts: ContractsClient,
        settings: NotifySettings,
        *,
        worker_id: str,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.announcements = AnnouncementSender(
            sessionmaker, contracts, settings, worker_id=worker_id
        )

    async def flush_digests(self, now: datetime | None = None) -> int:
        async with self.sessionmaker() as session, session.begin():
            return await digest.flush_due(session, self.settings, now)

    async def run_once(
        self, now: datetime | None = None, stop: asyncio.Event | None = None
    ) -> JobsRound:
        """One round; ``now`` is the clock digests are released against (tests pass theirs).
        Once ``stop`` is set, nothing more is claimed."""
        announcements = await self.announcements.run_once(stop)
        if stop is not None and stop.is_set():
            return JobsRound(announcements=announcements, digests=0)
        return JobsRound(announcements=announcements, digests=await self.flush_digests(now))

    async def run_forever(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.run_once(stop=stop)
            except Exception:
                log.exception("scheduled_jobs_error")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.settings.jobs_poll_seconds)
