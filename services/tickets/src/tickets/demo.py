"""Tickets' demo data for ``make run`` (the ``careplane.seed`` entry point ``tickets``):
each package's own demo, loaded in one transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from tickets.visits.demo import seed_visits


async def seed(database_url: str) -> None:
    engine = create_async_engine(database_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
            await seed_visits(session, database_url)
    finally:
        await engine.dispose()
