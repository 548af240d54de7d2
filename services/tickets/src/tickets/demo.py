"""Tickets' demo data for `make run` (the ``careplane.seed`` entry point ``tickets``): each
package's demo is called from here, after contracts' demo data is in place."""

from __future__ import annotations

import os

import structlog
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from tickets.escalation.demo import contracts_url, seed_escalation_demo

log = structlog.get_logger(__name__)


async def seed(database_url: str) -> None:
    engine = create_async_engine(database_url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session, session.begin():
            contracts = contracts_url(database_url, dict(os.environ))
            if contracts is None:
                log.warning("escalation_demo_skipped", reason="contracts' database unknown")
            else:
                await seed_escalation_demo(session, contracts)
    finally:
        await engine.dispose()
