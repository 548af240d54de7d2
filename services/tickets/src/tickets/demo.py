"""Tickets' demo data for ``make run`` (the ``careplane.seed`` entry point): each part of
tickets that has demo data adds its call here."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from tickets.ideas.demo import contracts_url, seed_ideas


async def seed(database_url: str) -> None:
    engine = create_async_engine(database_url)
    try:
        maker = async_sessionmaker(engine, expire_on_commit=False)
        async with maker() as session, session.begin():
            await seed_ideas(session, contracts_url(database_url))
    finally:
        await engine.dispose()
