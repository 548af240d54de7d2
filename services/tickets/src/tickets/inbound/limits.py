"""Limits that keep mail from flooding Careplane or looping: automatic answers per address
per hour, the unknown-sender answer once per address per day, cases opened by mail per
sender and per sender domain per hour. Counted in the database, so every replica of the
intake counts the same; an advisory lock per address serialises two mails of one sender."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from tickets.inbound.models import AutoAnswer, InboundMessage

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


async def lock_address(session: AsyncSession, address: str) -> None:
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext('inbound:' || :address))"),
        {"address": address},
    )


async def answers_since(
    session: AsyncSession, address: str, since: datetime, kind: str | None = None
) -> int:
    query = select(func.count()).where(AutoAnswer.address == address, AutoAnswer.at >= since)
    if kind is not None:
        query = query.where(AutoAnswer.kind == kind)
    return int(await session.scalar(query) or 0)


async def may_answer(session: AsyncSession, address: str, *, now: datetime, per_hour: int) -> bool:
    return await answers_since(session, address, now - HOUR) < per_hour


async def unknown_sender_answered_today(
    session: AsyncSession, address: str, *, now: datetime
) -> bool:
    return await answers_since(session, address, now - DAY, kind="unknown_sender") > 0


def record_answer(session: AsyncSession, address: str, kind: str, *, now: datetime) -> None:
    session.add(AutoAnswer(address=address, kind=kind, at=now))


async def cases_opened_since(
    session: AsyncSession, *, since: datetime, address: str | None = None, domain: str | None = None
) -> int:
    query = select(func.count()).where(
        InboundMessage.outcome == "opened", InboundMessage.received_at >= since
    )
    if address is not None:
        query = query.where(InboundMessage.from_address == address)
    if domain is not None:
        query = query.where(InboundMessage.from_domain == domain)
    return int(await session.scalar(query) or 0)
