"""Demo data of scheduled visits and the on-call rota (``make run``): an upcoming
confirmed visit of Borealis Health (InfraCare), and on-call shifts for each support
center from two days back to a week ahead, on its own local days (day shift 08:00-20:00
agent@example.com, night shift 20:00-08:00 manager@example.com).

Customers and support centers live in contracts' database, loaded before this (the seeds
run in name order): it is the one ``CONTRACTS_DATABASE_URL`` names, else the database
``careplane_contracts`` of tickets' own server. Idempotent: nothing is added where visits
or shifts exist already."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from tickets.demo_contracts import contracts_url
from tickets.visits.models import OnCallShift, Visit

BOREALIS = "demo-borealis-health"
DAY_SHIFT = "agent@example.com"
NIGHT_SHIFT = "manager@example.com"
SEEDED_BY = "demo-data"


async def _contracts_facts(url: str) -> tuple[tuple[uuid.UUID, str] | None, dict[str, str]]:
    """Borealis Health's id and name, and each support center's code and timezone."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            customer = (
                await connection.execute(
                    text("SELECT id, name FROM customers WHERE external_id = :x"), {"x": BOREALIS}
                )
            ).first()
            centers = (
                await connection.execute(text("SELECT code, calendar FROM support_centers"))
            ).all()
    finally:
        await engine.dispose()
    timezones = {code: str((calendar or {}).get("timezone") or "UTC") for code, calendar in centers}
    return ((customer[0], customer[1]) if customer else None), timezones


def rota(code: str, timezone: str, first: datetime, days: int = 7) -> list[OnCallShift]:
    """A day and a night shift for each of ``days`` local days from ``first``'s."""
    tz = ZoneInfo(timezone)
    start_day = first.astimezone(tz).date()
    shifts = []
    for offset in range(days):
        day = start_day + timedelta(days=offset)
        morning = datetime.combine(day, time(8), tzinfo=tz)
        evening = datetime.combine(day, time(20), tzinfo=tz)
        next_morning = datetime.combine(day + timedelta(days=1), time(8), tzinfo=tz)
        for email, starts, ends in (
            (DAY_SHIFT, morning, evening),
            (NIGHT_SHIFT, evening, next_morning),
        ):
            shifts.append(
                OnCallShift(
                    id=uuid.uuid4(),
                    support_center=code,
                    staff_email=email,
                    starts_at=starts.astimezone(UTC),
                    ends_at=ends.astimezone(UTC),
                    note="demo rota",
                    created_by=SEEDED_BY,
                )
            )
    return shifts


async def seed_visits(session: AsyncSession, tickets_url: str) -> None:
    contracts = contracts_url(tickets_url)
    if contracts is None:
        return  # contracts' demo data is nowhere to be found
    customer, timezones = await _contracts_facts(contracts)
    now = datetime.now(UTC)
    if not await session.scalar(select(func.count()).select_from(OnCallShift)):
        for code, timezone in sorted(timezones.items()):
            session.add_all(rota(code, timezone, now - timedelta(days=2), days=10))
    if customer is not None and not await session.scalar(
        select(func.count()).select_from(Visit).where(Visit.customer_id == customer[0])
    ):
        # Three days ahead, 09:00-13:00 New York time: booked (and confirmed) in time.
        day = (now + timedelta(days=3)).astimezone(ZoneInfo("America/New_York")).date()
        starts = datetime.combine(day, time(9), tzinfo=ZoneInfo("America/New_York"))
        session.add(
            Visit(
                id=uuid.uuid4(),
                customer_id=customer[0],
                customer_name=customer[1],
                support_center="broomfield",
                starts_at=starts.astimezone(UTC),
                ends_at=(starts + timedelta(hours=4)).astimezone(UTC),
                status="CONFIRMED",
                purpose="Go-live of the Riverside clinic: staff trained on site.",
                location="Riverside clinic",
                requested_by="bo@borealis.example",
                booked_by="agent@example.com",
                confirmed_at=now,
                created_at=now,
            )
        )
