"""Tickets' demo data for ``make run`` (the ``careplane.seed`` entry point ``tickets``)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from tickets.config import TicketsSettings
from tickets.survey import demo as survey_demo
from tickets.survey.tokens import link_key


async def seed(database_url: str) -> None:
    """Surveys and time: a closed case with an answered survey and time entries, on
    contracts' demo customers (skipped when contracts' demo data is not found)."""
    facts = await survey_demo.read_facts(survey_demo.contracts_url(database_url))
    if facts is None:
        return
    key = link_key(TicketsSettings(env="dev").client_secret)
    engine = create_async_engine(database_url)
    try:
        async with async_sessionmaker(engine)() as session, session.begin():
            if not await survey_demo.loaded(session, facts):
                await survey_demo.load(session, facts, key=key)
    finally:
        await engine.dispose()
