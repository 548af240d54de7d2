"""The knowledge base's demo: Tideway articles in English and Dutch, loaded by ``make run``
(through ``tickets.demo``). They double as the fixed corpus of the search relevance tests,
which expect given articles on top for given queries: change a text here and those tests
say whether search still finds what a customer would look for.

Besides the published public articles: one internal (staff only), one published with a
pending draft (customers keep reading the published text), one archived, one never
published.

And the knowledge base in use (``seed_usage``, after the escalation demo's cases): Cobalt
Logistics was shown suggestions while writing "Report export is slow" and opened the case
all the same, and staff linked the export article to it; for a question about Excel exports
it marked the suggested article helpful and opened no case (a deflection), so the
deflection report has figures.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from careplane_shared.auth import Principal, Role
from tickets.knowledge import service, suggestions
from tickets.knowledge.models import KnowledgeArticle, KnowledgeSuggestion, KnowledgeVersion
from tickets.knowledge.rules import ArticleStatus, VersionState, Visibility
from tickets.knowledge.schemas import SuggestionRequest
from tickets.models import Ticket

log = structlog.get_logger(__name__)

AUTHOR = "demo"
STAFF = Principal(subject="demo-agent", role=Role.AGENT, email="agent@example.com")
# The escalation demo's case whose refusal points at the knowledge base's workaround.
LINKED_CASE = "Report export is slow"
LINKED_ARTICLE = "export-reports"
DEFLECTED_QUESTION = "Export a report to Excel"


@dataclass(frozen=True)
class DemoArticle:
    slug: str
    language: str
    title: str
    body: str
    visibility: Visibility = Visibility.PUBLIC
    status: ArticleStatus = ArticleStatus.PUBLISHED
    draft: tuple[str, str] | None = None  # a pending edit: (title, body)


ARTICLES: tuple[DemoArticle, ...] = (
    DemoArticle(
        "reset-password",
        "en",
        "Reset your Tideway password",
        "Forgot your password? On the sign-in page choose 'Forgot password' and enter the "
        "e-mail address of your account. You receive a link that is valid for one hour. "
        "Passwords must have at least twelve characters.",
    ),
    DemoArticle(
        "activate-license",
        "en",
        "Activate a license key",
        "A new license key is activated from Help > License. Paste the key and choose "
        "Activate. Activation fails when the key belongs to another major version: ask your "
        "administrator for the key of your version.",
    ),
    DemoArticle(
        "speed-up-simulation",
        "en",
        "Speed up slow simulations",
        "Long simulation runs are usually caused by a very small hydraulic time step or by "
        "many control rules. Increase the time step to 15 minutes, and run extended period "
        "simulations on the server engine instead of the desktop.",
    ),
    DemoArticle(
        "import-gis-data",
        "en",
        "Import GIS data from shapefiles",
        "Pipes, junctions and valves can be imported from ESRI shapefiles and GeoPackage "
        "files with File > Import > GIS. Map the attribute fields to Tideway fields and "
        "check the coordinate system before importing.",
    ),
    DemoArticle(
        "negative-pressures",
        "en",
        "Negative pressures in results",
        "Negative pressure at a junction means the demand cannot be met by the network. "
        "Check the elevation of the junction, closed valves upstream and the pump curves. "
        "Pressure-driven demand analysis avoids negative values.",
    ),
    DemoArticle(
        "upgrade-version-3",
        "en",
        "Upgrading to Tideway 3",
        "Before you upgrade to version 3, back up your model database. Version 3 converts "
        "models on first open; converted models cannot be opened in version 2 again.",
    ),
    DemoArticle(
        "export-reports",
        "en",
        "Export reports to PDF and Excel",
        "Every report can be exported with Report > Export: PDF for printing, Excel for "
        "further analysis. Large reports export faster when charts are left out.",
    ),
    DemoArticle(
        "connection-timeout",
        "en",
        "Database connection timeout",
        "A timeout when opening a model stored on the server means Tideway cannot reach the "
        "database. Check the VPN, the server name in Options > Database and the firewall "
        "port 5432.",
    ),
    DemoArticle(
        "wachtwoord-herstellen",
        "nl",
        "Uw Tideway-wachtwoord herstellen",
        "Wachtwoord vergeten? Kies op de aanmeldpagina 'Wachtwoord vergeten' en vul het "
        "e-mailadres van uw account in. U ontvangt een link die een uur geldig is. Een "
        "wachtwoord heeft minstens twaalf tekens.",
    ),
    DemoArticle(
        "licentie-activeren",
        "nl",
        "Een licentiesleutel activeren",
        "Een nieuwe licentiesleutel activeert u via Help > Licentie. Plak de sleutel en kies "
        "Activeren. Activeren mislukt wanneer de sleutel bij een andere hoofdversie hoort.",
    ),
    DemoArticle(
        "simulatie-versnellen",
        "nl",
        "Trage simulaties versnellen",
        "Een trage simulatie komt meestal door een zeer kleine hydraulische tijdstap of door "
        "veel regelregels. Vergroot de tijdstap naar 15 minuten en reken lange simulaties "
        "door op de server.",
    ),
    DemoArticle(
        "gis-gegevens-importeren",
        "nl",
        "GIS-gegevens importeren uit shapefiles",
        "Leidingen, knooppunten en afsluiters importeert u uit ESRI-shapefiles en "
        "GeoPackage-bestanden via Bestand > Importeren > GIS. Controleer het "
        "coördinatenstelsel voordat u importeert.",
    ),
    DemoArticle(
        "negatieve-druk",
        "nl",
        "Negatieve druk in de resultaten",
        "Een negatieve druk in een knooppunt betekent dat het net de vraag niet kan leveren. "
        "Controleer de hoogteligging, gesloten afsluiters en de pompkrommen.",
    ),
    DemoArticle(
        "rapporten-exporteren",
        "nl",
        "Rapporten exporteren naar PDF en Excel",
        "Elk rapport exporteert u via Rapport > Exporteren: PDF om af te drukken, Excel voor "
        "verdere analyse.",
    ),
    DemoArticle(
        "server-engine-licensing",
        "en",
        "Server engine licensing (internal)",
        "Staff only: server engine seats are counted per customer, not per user. A customer "
        "asking for more seats goes to sales.",
        visibility=Visibility.INTERNAL,
    ),
    DemoArticle(
        "offline-installer",
        "en",
        "Install Tideway without internet access",
        "Download the offline installer from the portal and copy it to the machine.",
        draft=(
            "Install Tideway without internet access",
            "Download the offline installer from the portal, copy it to the machine and "
            "activate the license with a license file instead of a key.",
        ),
    ),
    DemoArticle(
        "tideway-1-support",
        "en",
        "Support for Tideway 1",
        "Tideway 1 is no longer supported; upgrade to a supported version.",
        status=ArticleStatus.ARCHIVED,
    ),
    DemoArticle(
        "scenario-manager",
        "en",
        "Comparing scenarios",
        "Work in progress: how to compare scenarios side by side.",
        status=ArticleStatus.DRAFT,
    ),
)


async def seed_articles(session: AsyncSession) -> dict[str, uuid.UUID]:
    """The demo articles not yet there (by language and slug); their ids by slug."""
    existing = {
        (a.language, a.slug): a.id for a in (await session.scalars(select(KnowledgeArticle)))
    }
    now = datetime.now(UTC)
    ids: dict[str, uuid.UUID] = {}
    for spec in ARTICLES:
        found = existing.get((spec.language, spec.slug))
        if found is not None:
            ids[spec.slug] = found
            continue
        article = KnowledgeArticle(
            id=uuid.uuid4(),
            slug=spec.slug,
            language=spec.language,
            visibility=spec.visibility.value,
            status=spec.status.value,
            created_by=AUTHOR,
        )
        session.add(article)
        await session.flush()
        published = spec.status is not ArticleStatus.DRAFT
        first = KnowledgeVersion(
            id=uuid.uuid4(),
            article_id=article.id,
            number=1,
            language=spec.language,
            title=spec.title,
            body=spec.body,
            state=(VersionState.PUBLISHED if published else VersionState.DRAFT).value,
            author_id=AUTHOR,
            published_at=now if published else None,
        )
        session.add(first)
        if published:
            article.published_version_id = first.id
        else:
            article.draft_version_id = first.id
        if spec.draft is not None:
            draft = KnowledgeVersion(
                id=uuid.uuid4(),
                article_id=article.id,
                number=2,
                language=spec.language,
                title=spec.draft[0],
                body=spec.draft[1],
                state=VersionState.DRAFT.value,
                author_id=AUTHOR,
            )
            session.add(draft)
            article.draft_version_id = draft.id
        await session.flush()
        ids[spec.slug] = article.id
    return ids


async def seed_usage(database_url: str) -> None:
    """Suggestions, a link and a deflection on the escalation demo's Cobalt case (left out
    when that case is not there; once: nothing is added where the customer has suggestions)."""
    engine = create_async_engine(database_url)
    try:
        async with async_sessionmaker(engine)() as session, session.begin():
            await _usage(session)
    finally:
        await engine.dispose()


async def _usage(session: AsyncSession) -> None:
    case = await session.scalar(
        select(Ticket)
        .where(Ticket.subject == LINKED_CASE, Ticket.external_refs["demo"].astext.is_not(None))
        .limit(1)
    )
    if case is None or case.customer_id is None:
        log.warning("knowledge_usage_demo_skipped", reason="the escalation demo case is missing")
        return
    if await session.scalar(
        select(func.count())
        .select_from(KnowledgeSuggestion)
        .where(KnowledgeSuggestion.customer_id == case.customer_id)
    ):
        return
    article_id = await session.scalar(
        select(KnowledgeArticle.id).where(
            KnowledgeArticle.slug == LINKED_ARTICLE, KnowledgeArticle.language == "en"
        )
    )
    if article_id is None:
        return
    contact = Principal(
        subject=str(case.contact_id), role=Role.CUSTOMER_ADMIN, customer_id=case.customer_id
    )
    # Shown suggestions while writing the case, which was opened all the same.
    shown = await suggestions.suggest(session, contact, SuggestionRequest(subject=LINKED_CASE))
    assert shown.suggestion_id is not None  # recorded for a customer-side caller
    await suggestions.case_opened(session, contact, shown.suggestion_id, case)
    await service.link(session, STAFF, case.id, article_id)
    # A question the knowledge base answered: no case opened.
    asked = await suggestions.suggest(
        session, contact, SuggestionRequest(subject=DEFLECTED_QUESTION)
    )
    assert asked.suggestion_id is not None
    if any(hit.id == article_id for hit in asked.items):
        await suggestions.mark_helpful(session, contact, asked.suggestion_id, article_id)
    log.info("knowledge_usage_demo_loaded")
