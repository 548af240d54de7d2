"""The knowledge base's demo data as ``make run`` loads it (its part of the ``tickets`` seed
entry point): into a fresh migrated database, once however often it runs, with an example of
each kind of article."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from careplane_shared.testing.pieces import TICKETS
from careplane_shared.testing.plugin import ProvisionDatabase
from tickets.knowledge import demo
from tickets.knowledge.models import KnowledgeArticle, KnowledgeVersion


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
