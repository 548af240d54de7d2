"""Sending due lifecycle announcements: the worker step.

An announcement is claimed the way a delivery is (``FOR UPDATE SKIP LOCKED``, a lease, the
status ``sending``), its customers are read from contracts outside any transaction, and then
one transaction locks the row again, checks it is still ours and still ``sending``, writes
one email delivery per customer with its recipient record, and marks it ``sent``.

Re-planning supersedes ``scheduled`` and ``sending`` rows alike and takes the same row lock,
so the two serialize: a re-plan that commits first leaves nothing to send (the fan-out finds
the row superseded and writes nothing); a fan-out that commits first was sent before the
date moved, and the re-plan schedules the new date's announcement. A worker that dies
mid-way leaves a ``sending`` row whose lease runs out, and another worker takes it over;
contracts being down leaves the error on the row and the lease as the back-off.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import and_, func, insert, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from careplane_shared.events import CloudEvent
from careplane_shared.leases import releasing
from notify.audience import Addressee, Addressing, addressees
from notify.clients.contracts import ContractsClient, ContractsUnavailable
from notify.config import NotifySettings
from notify.models import Announcement, AnnouncementRecipient, deliveries_table
from notify.routing import route_event

log = structlog.get_logger(__name__)

SOURCE = "notify"
EVENT_TYPE = "lifecycle.announced"


@dataclass(frozen=True, slots=True)
class ClaimedAnnouncement:
    id: uuid.UUID
    product_id: uuid.UUID
    product_name: str
    major: int
    milestone: str
    milestone_date: date
    previous_date: date | None

    @property
    def event_id(self) -> str:
        return f"announcement:{self.id}"

    @property
    def template(self) -> str:
        return f"announcement_{self.milestone.lower()}"

    def data(self) -> dict[str, Any]:
        return {
            "announcement_id": str(self.id),
            "product_id": str(self.product_id),
            "product_name": self.product_name,
            "major": self.major,
            "milestone": self.milestone,
            "milestone_date": self.milestone_date.isoformat(),
            "previous_date": self.previous_date.isoformat() if self.previous_date else None,
        }


class AnnouncementSender:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        contracts: ContractsClient,
        settings: NotifySettings,
        *,
        worker_id: str,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.contracts = contracts
        self.settings = settings
        self.worker_id = worker_id
        self.lease = timedelta(seconds=settings.announcement_lease_seconds)

    async def claim(self, limit: int = 10) -> list[ClaimedAnnouncement]:
        """Due scheduled announcements, and ``sending`` ones whose worker's lease ran out."""
        a = Announcement
        now = func.now()
        async with self.sessionmaker() as session, session.begin():
            due = (
                select(a.id)
                .where(
                    or_(
                        and_(a.status == "scheduled", a.announce_at <= now),
                        and_(a.status == "sending", a.locked_until < now),
                    )
                )
                .order_by(a.announce_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
                .cte("due")
            )
            rows = await session.execute(
                update(a)
                .where(a.id == due.c.id)
                .values(
                    status="sending",
                    locked_by=self.worker_id,
                    locked_until=now
                    + text(f"interval '{int(self.lease.total_seconds())} seconds'"),
                    attempts=a.attempts + 1,
                )
                .returning(
                    a.id,
                    a.product_id,
                    a.product_name,
                    a.major,
                    a.milestone,
                    a.milestone_date,
                    a.previous_date,
                )
            )
            return [ClaimedAnnouncement(**row._mapping) for row in rows]

    async def send(self, claimed: ClaimedAnnouncement) -> int | None:
        """Writes the announcement's deliveries; how many customers it went to, or None
        when it was not ours to send any more (superseded, or taken over)."""
        try:
            audience = await addressees(
                self.contracts, product_id=claimed.product_id, addressing=Addressing.ADMINISTRATORS
            )
        except ContractsUnavailable as exc:
            await self._failed(claimed, f"Contracts unavailable: {exc}")
            return None
        async with self.sessionmaker() as session, session.begin():
            still_ours = await session.scalar(
                select(Announcement.id)
                .where(
                    Announcement.id == claimed.id,
                    Announcement.status == "sending",
                    Announcement.locked_by == self.worker_id,
                )
                .with_for_update()
            )
            if still_ours is None:
                log.info("announcement_not_sent", announcement_id=str(claimed.id))
                return None
            await self._write(session, claimed, audience)
            await session.execute(
                update(Announcement)
                .where(Announcement.id == claimed.id)
                .values(
                    status="sent",
                    sent_at=func.now(),
                    locked_by=None,
                    locked_until=None,
                    last_error=None,
                )
            )
        log.info("announcement_sent", announcement_id=str(claimed.id), customers=len(audience))
        return len(audience)

    async def _write(
        self, session: AsyncSession, claimed: ClaimedAnnouncement, audience: list[Addressee]
    ) -> None:
        now = datetime.now(UTC)
        data = claimed.data()
        deliveries: list[dict[str, Any]] = []
        recipients: list[dict[str, Any]] = []
        for addressee in audience:
            delivery_id = uuid.uuid4() if addressee.addresses else None
            if delivery_id is not None:
                deliveries.append(
                    {
                        "id": delivery_id,
                        "channel": "email",
                        "target": f"customer:{addressee.customer_id}",
                        "endpoint_id": None,
                        "customer_id": addressee.customer_id,
                        "event_id": claimed.event_id,
                        "event_source": SOURCE,
                        "event_type": EVENT_TYPE,
                        "event_time": now,
                        "payload": {
                            "template": claimed.template,
                            "to": addressee.addresses,
                            "name": addressee.name,
                            "language": addressee.language,
                            "data": {**data, "customer_name": addressee.name},
                        },
                    }
                )
            recipients.append(
                {
                    "id": uuid.uuid4(),
                    "announcement_id": claimed.id,
                    "customer_id": addressee.customer_id,
                    "customer_name": addressee.name,
                    "language": addressee.language,
                    "to_addresses": addressee.addresses,
                    "delivery_id": delivery_id,
                }
            )
        if deliveries:
            await session.execute(insert(deliveries_table), deliveries)
        if recipients:
            await session.execute(
                pg_insert(AnnouncementRecipient).on_conflict_do_nothing(
                    index_elements=["announcement_id", "customer_id"]
                ),
                recipients,
            )
        # Integrations and chat channels subscribed to lifecycle.announced hear of it too.
        event = CloudEvent(
            id=claimed.event_id,
            source=SOURCE,
            type=EVENT_TYPE,
            time=now,
            data={**data, "customers": len(audience)},
        )
        await route_event(session, event, self.settings)

    async def _failed(self, claimed: ClaimedAnnouncement, error: str) -> None:
        log.warning("announcement_fan_out_failed", announcement_id=str(claimed.id), error=error)
        async with self.sessionmaker() as session, session.begin():
            await session.execute(
                update(Announcement)
                .where(Announcement.id == claimed.id, Announcement.locked_by == self.worker_id)
                .values(last_error=error[:2000])
            )

    async def run_once(self, stop: asyncio.Event | None = None) -> int:
        """Sends every due announcement; returns how many were sent. Once ``stop`` is set
        it finishes the one in hand and gives the rest of its claim back at once
        (:mod:`careplane_shared.leases`)."""
        sent = 0
        async with releasing("announcements", self.release) as held:
            held.claimed(await self.claim())
            for claimed in held.pending():
                if stop is not None and stop.is_set():
                    break
                if await self.send(claimed) is not None:
                    sent += 1
                held.settled([claimed])
        return sent

    async def release(self, held: list[ClaimedAnnouncement]) -> int:
        """Claimed announcements this worker did not get to: scheduled again, free for any
        worker now, their claim not counted as an attempt."""
        a = Announcement
        async with self.sessionmaker() as session, session.begin():
            result = await session.execute(
                update(a)
                .where(
                    a.id.in_([claimed.id for claimed in held]),
                    a.status == "sending",
                    a.locked_by == self.worker_id,
                )
                .values(
                    status="scheduled", locked_by=None, locked_until=None, attempts=a.attempts - 1
                )
            )
        return int(getattr(result, "rowcount", 0) or 0)
