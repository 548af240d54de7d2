"""Demo data of ideas and development for ``make run`` (seed rules [001][003]): one idea
asked for by a closed feature-request case and voted for by contacts of two customers, a
paid customization routed to sales, and a defect with development under a tracker issue.

The cases are written as the API would leave them, for contacts and a product read from
contracts' demo data (loaded first, in its own database: ``CONTRACTS_DATABASE_URL``, or the
``careplane_contracts`` database beside tickets' own)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from tickets.demo_contracts import seed_on_contracts
from tickets.development.models import DevelopmentLink
from tickets.ideas.models import FeatureRequestRoute, Idea, IdeaCase, IdeaVote
from tickets.models import Ticket
from tickets.ticket import repository
from tickets.ticket.rules import Status
from tickets.ticket.transitions import entry

IDEA_TITLE = "Export the network to GeoJSON"
STAFF = "agent@example.com"


@dataclass(frozen=True, slots=True)
class Contact:
    id: uuid.UUID
    customer_id: uuid.UUID
    language: str


async def _contracts_demo(url: str) -> tuple[dict[str, Contact], uuid.UUID, str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text(
                    "SELECT c.email, c.id, c.customer_id, cu.language FROM contacts c "
                    "JOIN customers cu ON cu.id = c.customer_id"
                )
            )
            contacts = {r.email: Contact(r.id, r.customer_id, r.language) for r in rows}
            release = (
                await connection.execute(
                    text(
                        "SELECT p.id, r.version FROM products p "
                        "JOIN major_versions m ON m.product_id = p.id "
                        "JOIN releases r ON r.major_version_id = m.id "
                        "ORDER BY m.major DESC, r.version DESC LIMIT 1"
                    )
                )
            ).one()
    finally:
        await engine.dispose()
    return contacts, release.id, release.version


async def _case(
    session: AsyncSession,
    contact: Contact,
    *,
    product_id: uuid.UUID,
    version: str,
    subject: str,
    description: str,
    type_: str,
    at: datetime,
) -> Ticket:
    ticket = Ticket(
        id=uuid.uuid4(),
        customer_id=contact.customer_id,
        contact_id=contact.id,
        product_id=product_id,
        version=version,
        subject=subject,
        description=description,
        type=type_,
        priority="NORMAL",
        severity=2,
        language=contact.language,
        channel="portal",
        external_refs={},
        status=Status.OPEN.value,
        received_at=at,
        entitlement_status="entitled",
        scheduled_visit=False,
        opened_by=str(contact.id),
        case_visibility="customer",
        billable=False,
    )
    history = [entry(ticket, "OPENED", at=at, by=None, to_value="NORMAL")]
    history.append(
        entry(ticket, "STATUS_CHANGE", at=at, by=None, from_value="NEW", to_value="OPEN")
    )
    await repository.insert_opened(session, ticket, number_prefix="CS", history=history, timers=[])
    return await session.get_one(Ticket, ticket.id)


def _moved(ticket: Ticket, to: Status, at: datetime, reason: str) -> None:
    ticket.status = to.value
    if to is Status.CLOSED:
        ticket.closed_at = at
        ticket.resolution = reason
    ticket.sla_clocks = None


async def seed_ideas(session: AsyncSession, contacts_url: str) -> None:
    if await session.scalar(select(Idea.id).where(Idea.title == IDEA_TITLE)) is not None:
        return  # loaded already
    contacts, product_id, version = await _contracts_demo(contacts_url)
    ana, cora = contacts["ana@acme-water.example"], contacts["cora@cobalt.example"]
    ben = contacts["ben@borealis.example"]
    now = datetime.now(UTC)
    day = timedelta(days=1)

    # A suggestion for every user: an idea, its case closed into it, votes of two customers.
    asked = await _case(
        session,
        ana,
        product_id=product_id,
        version=version,
        subject="Export the whole network as GeoJSON",
        description="Our GIS team would like the network as GeoJSON.",
        type_="feature_request",
        at=now - 5 * day,
    )
    idea = Idea(
        id=uuid.uuid4(),
        title=IDEA_TITLE,
        description="Export the whole network model (nodes, links, zones) as GeoJSON.",
        product_id=product_id,
        status="PLANNED",
        public=True,
        planned_version="next",
        created_by=STAFF,
        created_at=now - 4 * day,
    )
    session.add(idea)
    await session.flush()
    resolution = (
        f"Recorded as an idea for development: {IDEA_TITLE}. You will be told when it ships."
    )
    session.add_all(
        [
            IdeaCase(
                ticket_id=asked.id,
                idea_id=idea.id,
                contact_id=ana.id,
                customer_id=ana.customer_id,
                linked_by=STAFF,
            ),
            FeatureRequestRoute(
                ticket_id=asked.id,
                route="development",
                idea_id=idea.id,
                routed_by=STAFF,
                routed_at=now - 4 * day,
            ),
            IdeaVote(idea_id=idea.id, contact_id=cora.id, customer_id=cora.customer_id),
            IdeaVote(idea_id=idea.id, contact_id=ben.id, customer_id=ben.customer_id),
            entry(asked, "ROUTED", at=now - 4 * day, by=None, to_value="development"),
            entry(
                asked,
                "STATUS_CHANGE",
                at=now - 4 * day,
                by=None,
                from_value="OPEN",
                to_value="CLOSED",
                reason=resolution,
            ),
        ]
    )
    _moved(asked, Status.CLOSED, now - 4 * day, resolution)

    # A paid customization: with sales for a price proposal, the case still open.
    custom = await _case(
        session,
        cora,
        product_id=product_id,
        version=version,
        subject="Maatwerkrapport voor de directie",
        description="Wij willen een eigen maandrapport, tegen betaling.",
        type_="feature_request",
        at=now - 3 * day,
    )
    session.add_all(
        [
            FeatureRequestRoute(
                ticket_id=custom.id,
                route="sales",
                note="Board report, paid",
                routed_by=STAFF,
                routed_at=now - 2 * day,
            ),
            entry(custom, "ROUTED", at=now - 2 * day, by=None, to_value="sales"),
        ]
    )

    # A defect with development, under its tracker issue.
    defect = await _case(
        session,
        ana,
        product_id=product_id,
        version=version,
        subject="Import of the Riverside model crashes",
        description="Importing the Riverside model stops with E-1042.",
        type_="incident",
        at=now - 2 * day,
    )
    session.add_all(
        [
            DevelopmentLink(
                ticket_id=defect.id,
                issue_key="TW-4711",
                issue_url="https://tracker.example/browse/TW-4711",
                handed_by=STAFF,
                handed_at=now - day,
            ),
            entry(defect, "HANDED_TO_DEVELOPMENT", at=now - day, by=None, to_value="TW-4711"),
            entry(
                defect,
                "STATUS_CHANGE",
                at=now - day,
                by=None,
                from_value="OPEN",
                to_value="WITH_DEVELOPMENT",
            ),
        ]
    )
    _moved(defect, Status.WITH_DEVELOPMENT, now - day, "Reproduced")
    await session.flush()


async def seed(database_url: str) -> None:
    """Loads the demo into tickets' database (once: a second call finds it there)."""
    await seed_on_contracts(database_url, "ideas", seed_ideas)
