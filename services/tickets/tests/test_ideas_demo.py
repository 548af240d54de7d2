"""The demo data of ideas and development, loaded as ``make run`` loads it: after contracts'
own, into fresh databases of their own."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from careplane_shared.testing.pieces import CONTRACTS, TICKETS
from tickets.development.models import DevelopmentLink
from tickets.ideas.models import FeatureRequestRoute, Idea, IdeaCase, IdeaVote
from tickets.models import Ticket


async def test_the_demo_shows_an_idea_with_votes_and_a_case_with_development(
    provision_database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from contracts.seed import seed as seed_contracts
    from tickets.demo import seed as seed_tickets

    contracts_url = await provision_database("ideas_demo_contracts", CONTRACTS.service_dir)
    tickets_url = await provision_database("ideas_demo_tickets", TICKETS.service_dir)
    await seed_contracts(contracts_url)
    monkeypatch.setenv("CONTRACTS_DATABASE_URL", contracts_url)
    await seed_tickets(tickets_url)
    await seed_tickets(tickets_url)  # loaded twice: still once

    engine = create_async_engine(tickets_url)
    try:
        async with AsyncSession(engine) as session:
            [idea] = (await session.scalars(select(Idea))).all()
            votes = await session.scalar(select(func.count()).where(IdeaVote.idea_id == idea.id))
            assert votes == 2
            [asked] = (await session.scalars(select(IdeaCase))).all()
            closed = await session.get_one(Ticket, asked.ticket_id)
            assert (closed.status, closed.type) == ("CLOSED", "feature_request")
            routes = dict(
                (
                    await session.execute(
                        select(FeatureRequestRoute.route, func.count()).group_by(
                            FeatureRequestRoute.route
                        )
                    )
                ).all()
            )
            assert routes == {"development": 1, "sales": 1}
            [link] = (await session.scalars(select(DevelopmentLink))).all()
            defect = await session.get_one(Ticket, link.ticket_id)
            assert defect.status == "WITH_DEVELOPMENT" and link.issue_key == "TW-4711"
            assert defect.number.startswith("CS-")
    finally:
        await engine.dispose()
