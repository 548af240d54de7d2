"""The knowledge base's demo data as ``make run`` loads it (its part of the ``tickets`` seed
entry point): into a fresh migrated database, once however often it runs, with an example of
each kind of article."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from careplane_shared.testing.pieces import CONTRACTS, TICKETS
from careplane_shared.testing.plugin import ProvisionDatabase
from tickets.escalation.demo import seed_escalation_demo
from tickets.knowledge import demo, suggestions
from tickets.knowledge.models import (
    KnowledgeArticle,
    KnowledgeLink,
    KnowledgeSuggestion,
    KnowledgeVersion,
)
from tickets.models import Ticket


async def test_the_demo_loads_once_with_every_kind_of_article(
    provision_database: ProvisionDatabase,
) -> None:
    url = await provision_database("knowledge_demo_tickets", TICKETS.service_dir)
    engine = create_async_engine(url)
    try:
        for _ in range(2):  # make run loads it at every start
            async with async_sessionmaker(engine)() as session, session.begin():
                await demo.seed_articles(session)
        async with AsyncSession(engine) as session:
            articles = (await session.scalars(select(KnowledgeArticle))).all()
            versions = (await session.scalars(select(KnowledgeVersion))).all()
    finally:
        await engine.dispose()
    assert len({(a.language, a.slug) for a in articles}) == len(articles) == len(demo.ARTICLES)
    kinds = Counter((a.language, a.status, a.visibility) for a in articles)
    assert kinds[("en", "published", "public")] >= 8
    assert kinds[("nl", "published", "public")] >= 6
    assert kinds[("en", "published", "internal")] == 1
    assert kinds[("en", "archived", "public")] == 1
    assert kinds[("en", "draft", "public")] == 1
    pending = [a for a in articles if a.published_version_id and a.draft_version_id]
    assert [a.slug for a in pending] == ["offline-installer"]
    assert len(versions) == len(articles) + 1


async def test_the_demo_shows_the_knowledge_base_in_use(provision_database) -> None:
    """On the escalation demo's Cobalt case: suggestions shown before it was opened, the
    export article linked, and a question deflected, so the deflection report has figures."""
    from contracts.seed import seed

    contracts_url = await provision_database("knowledge_usage_contracts", CONTRACTS.service_dir)
    tickets_url = await provision_database("knowledge_usage_tickets", TICKETS.service_dir)
    await seed(contracts_url)
    engine = create_async_engine(tickets_url)
    try:
        async with async_sessionmaker(engine)() as session, session.begin():
            await demo.seed_articles(session)
            await seed_escalation_demo(session, contracts_url)
        for _ in range(2):  # once however often it runs
            await demo.seed_usage(tickets_url)
        async with AsyncSession(engine) as session:
            case = await session.scalar(select(Ticket).where(Ticket.subject == demo.LINKED_CASE))
            records = (await session.scalars(select(KnowledgeSuggestion))).all()
            links = (await session.scalars(select(KnowledgeLink))).all()
            figures = await suggestions.report(
                session, period_from=None, period_to=None, language=None
            )
    finally:
        await engine.dispose()
    assert case is not None
    export = next(r.article_id for r in figures.articles if r.slug == demo.LINKED_ARTICLE)
    assert [(link.ticket_id, link.article_id) for link in links] == [(case.id, export)]
    assert sorted((r.outcome, r.ticket_id, r.helpful_article_id) for r in records) == [
        ("case_opened", case.id, None),
        ("deflected", None, export),
    ]
    assert (figures.suggestions, figures.cases_opened, figures.deflected) == (2, 1, 1)
    [row] = [r for r in figures.articles if r.article_id == export]
    assert (row.shown, row.helpful, row.cases_opened) == (2, 1, 1)
