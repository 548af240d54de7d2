"""Demo data of an emergency (``make run``): Delta Secure, whose Infotecs Premium includes
emergencies and bills them per call, declares its case about a stopped production server an
emergency. The support center's on-call staff of the moment (the rota of
``tickets.visits.demo``, loaded before) are alerted; the call is a billable item.

The case is opened and the emergency declared through tickets' own service functions, on
contracts' demo data read from its database (``tickets.demo_contracts``); both events go
into the outbox, so once the pieces run notify mails the on-call staff and contracts books
the call. Loaded once: a later load finds the case by its external reference.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from careplane_shared.auth import Principal, Role
from careplane_shared.events import Outbox
from tickets.demo_contracts import (
    DemoContracts,
    customer_principal,
    entitlement,
    included_services,
    seed_on_contracts,
)
from tickets.emergencies import service
from tickets.models import outbox_events
from tickets.ticket import service as tickets
from tickets.ticket.policy import TicketPolicy
from tickets.ticket.schemas import TicketOpen

log = structlog.get_logger(__name__)

DEMO_REF = "emergency-demo"
CONTACT = "dan@delta.example"
AGENT = Principal(subject="demo-agent", role=Role.AGENT, email="agent@example.com")
SUBJECT = "Production server stopped: no network model can be opened"
REASON = "Our control room works without a network model since 06:00; the server is down."


async def seed_emergency_demo(session: AsyncSession, contracts_database_url: str) -> None:
    found = await session.scalar(
        text("SELECT 1 FROM tickets WHERE external_refs ->> 'demo' = :ref LIMIT 1"),
        {"ref": DEMO_REF},
    )
    if found:
        return
    now = datetime.now(UTC)
    engine = create_async_engine(contracts_database_url)
    try:
        async with engine.connect() as contracts:
            product_id = (
                await contracts.execute(text("SELECT id FROM products WHERE code = 'tideway'"))
            ).scalar_one_or_none()
            answer = await entitlement(contracts, CONTACT, product_id) if product_id else None
            included = await included_services(contracts, CONTACT, now.date())
    finally:
        await engine.dispose()
    if product_id is None or answer is None or included is None:
        log.warning("emergency_demo_skipped", reason="contracts has no demo data")
        return
    customer_id = uuid.UUID(answer["customer_id"])
    contracts_answers = DemoContracts(
        {uuid.UUID(answer["contact_id"]): answer}, {customer_id: included}
    )
    outbox = Outbox(outbox_events, source="tickets", destinations={"contracts": "", "notify": ""})
    opened = await tickets.open_ticket(
        session,
        outbox,
        contracts=contracts_answers,
        principal=AGENT,
        data=TicketOpen(
            product_id=product_id,
            version="3.1",
            subject=SUBJECT,
            description=f"{SUBJECT}. (Demo case.)",
            contact_id=uuid.UUID(answer["contact_id"]),
            priority="CRITICAL",
            received_at=now - timedelta(minutes=20),
            external_refs={"demo": DEMO_REF},
        ),
        policy=TicketPolicy(number_prefix="CS", warning_fraction=0.75),
    )
    await service.declare(
        session,
        outbox,
        contracts=contracts_answers,
        principal=customer_principal(answer, CONTACT),
        ticket_id=opened.ticket.id,
        reason=REASON,
    )
    log.info("emergency_demo_loaded")


async def seed(database_url: str) -> None:
    """Tickets' part of ``make run``'s demo data for emergencies."""
    await seed_on_contracts(database_url, "emergencies", seed_emergency_demo)
