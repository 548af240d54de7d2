"""Tickets' demo data (``make run``): an upcoming confirmed visit of Borealis Health and a
week of on-call shifts for each support center, loaded after contracts' own, twice alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from careplane_shared.testing.pieces import CONTRACTS, TICKETS
from tickets.demo import seed
from tickets.oncall.rules import Shift, calendar_days
from tickets.visits.models import OnCallShift, Visit
from tickets.visits.rules import MIN_LEAD


async def test_the_demo_has_a_visit_and_a_rota_for_every_center(provision_database, monkeypatch):
    from contracts.seed import seed_demo

    contracts_url = await provision_database("visitsdemo_contracts", CONTRACTS.service_dir)
    tickets_url = await provision_database("visitsdemo_tickets", TICKETS.service_dir)
    engine = create_async_engine(contracts_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            await seed_demo(session)
            await session.commit()
    finally:
        await engine.dispose()
    monkeypatch.setenv("CONTRACTS_DATABASE_URL", contracts_url)
    await seed(tickets_url)
    await seed(tickets_url)  # a second load adds nothing

    engine = create_async_engine(tickets_url)
    try:
        async with AsyncSession(engine) as session:
            visits = (await session.scalars(select(Visit))).all()
            shifts = (await session.scalars(select(OnCallShift))).all()
    finally:
        await engine.dispose()
    [visit] = visits
    assert (visit.customer_name, visit.status, visit.support_center) == (
        "Borealis Health",
        "CONFIRMED",
        "broomfield",
    )
    assert visit.starts_at - datetime.now(UTC) >= MIN_LEAD - timedelta(hours=24)
    by_center: dict[str, list[OnCallShift]] = {}
    for shift in shifts:
        by_center.setdefault(shift.support_center, []).append(shift)
    assert sorted(by_center) == ["brisbane", "broomfield", "wallingford"]
    # From today on, in each center's own time, someone is always on call.
    timezones = {
        "brisbane": "Australia/Brisbane",
        "broomfield": "America/Denver",
        "wallingford": "Europe/London",
    }
    for center, rows in by_center.items():
        rota = [Shift(s.support_center, s.staff_email, s.starts_at, s.ends_at) for s in rows]
        today = datetime.now(ZoneInfo(timezones[center])).date()
        days = calendar_days(rota, timezones[center], today, 7)
        assert [d.uncovered_minutes for d in days] == [0] * 7, center
