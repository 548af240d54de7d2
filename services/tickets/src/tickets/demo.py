"""Tickets' demo data for ``make run`` (the ``careplane.seed`` entry point ``tickets``).

Each part of tickets that has demo data adds one call here; the data itself lives in the
part's own module.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from tickets.knowledge.demo import seed_articles


async def seed(database_url: str) -> None:
    engine = create_async_engine(database_url)
    try:
        async with async_sessionmaker(engine)() as session, session.begin():
            await seed_articles(session)
    finally:
        await engine.dispose()
