"""Tickets' demo data for ``make run`` (the ``careplane.seed`` entry point ``tickets``).

Each part of tickets that has demo data adds one call here; the data itself lives in the
part's own module. Parts that write within one transaction get the session; parts that
need their own connections (the mail intake stores a mail as the listener would) get the
database URL.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from tickets.emergencies import demo as emergencies_demo
from tickets.escalation import demo as escalation_demo
from tickets.ideas import demo as ideas_demo
from tickets.inbound import demo as inbound_demo
from tickets.knowledge.demo import seed_articles, seed_usage
from tickets.survey import demo as survey_demo
from tickets.visits.demo import seed_visits


async def seed(database_url: str) -> None:
    engine = create_async_engine(database_url)
    try:
        async with async_sessionmaker(engine)() as session, session.begin():
            await seed_articles(session)
            await seed_visits(session, database_url)
    finally:
        await engine.dispose()
    await inbound_demo.seed(database_url)
    await ideas_demo.seed(database_url)
    await survey_demo.seed(database_url)
    await escalation_demo.seed(database_url)
    await seed_usage(database_url)  # on the escalation demo's case
    await emergencies_demo.seed(database_url)
