"""Demo data (`make run`): a customer's escalation with its contact attempts, and priority
change requests both accepted and refused.

The demo cases are opened through tickets' own service functions, as the API opens them.
The facts contracts would answer (the contact's customer, agreement, plan policy, support
center, the region's Client Services Manager) are read from contracts' demo database,
which is loaded first; without it (another layout) this demo is left out. Loaded once: a
later load finds the demo cases by their external reference and changes nothing.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import (
    AsyncSession,
    create_async_engine,
)

from careplane_shared.auth import Principal, Role
from careplane_shared.events import Outbox
from tickets.demo_contracts import (
    DemoContracts,
    customer_principal,
    entitlement,
    seed_on_contracts,
)
from tickets.escalation import changes, service
from tickets.escalation.csm import Manager
from tickets.escalation.rules import ContactChannel, ContactOutcome, Decision
from tickets.models import Ticket, outbox_events
from tickets.ticket import service as tickets
from tickets.ticket.policy import TicketPolicy
from tickets.ticket.rules import EscalationKind
from tickets.ticket.schemas import TicketOpen

log = structlog.get_logger(__name__)

DEMO_REF = "escalation-demo"
AGENT = Principal(subject="demo-agent", role=Role.AGENT, email="agent@example.com")
MANAGER = Principal(subject="demo-manager", role=Role.MANAGER, email="manager@example.com")

_MANAGER = text(
    """
    SELECT s.id, s.email, s.name FROM client_services_managers m
    JOIN staff_users s ON s.id = m.staff_user_id
    JOIN customers u ON u.region = m.region
    WHERE u.id = :customer AND s.active
    """
)


async def seed_escalation_demo(session: AsyncSession, contracts_database_url: str) -> None:
    found = await session.scalar(
        text("SELECT 1 FROM tickets WHERE external_refs ->> 'demo' = :ref LIMIT 1"),
        {"ref": DEMO_REF},
    )
    if found:
        return
    engine = create_async_engine(contracts_database_url)
    try:
        async with engine.connect() as contracts:
            product_id = (
                await contracts.execute(text("SELECT id FROM products WHERE code = 'tideway'"))
            ).scalar_one_or_none()
            found_answers = {
                email: await entitlement(contracts, email, product_id) if product_id else None
                for email in ("ana@acme-water.example", "cora@cobalt.example")
            }
            answers = {e: a for e, a in found_answers.items() if a is not None}
            if product_id is None or len(answers) < len(found_answers):
                log.warning("escalation_demo_skipped", reason="contracts has no demo data")
                return
            ana = answers["ana@acme-water.example"]
            row = (await contracts.execute(_MANAGER, {"customer": ana["customer_id"]})).first()
            manager = Manager(row.id, row.email, row.name) if row else None
    finally:
        await engine.dispose()
    await _load(session, product_id, answers, manager)


async def _load(
    session: AsyncSession,
    product_id: uuid.UUID,
    answers: dict[str, dict[str, Any]],
    manager: Manager | None,
) -> None:
    outbox = Outbox(outbox_events, source="tickets", destinations={"contracts": "", "notify": ""})
    policy = TicketPolicy(number_prefix="CS", warning_fraction=0.75)
    contracts = DemoContracts({uuid.UUID(a["contact_id"]): a for a in answers.values()})

    async def case(email: str, subject: str, hours_ago: int, priority: str | None) -> Ticket:
        data = TicketOpen(
            product_id=product_id,
            version="3.1",
            subject=subject,
            description=f"{subject}. (Demo case.)",
            contact_id=uuid.UUID(answers[email]["contact_id"]),
            priority=priority,
            received_at=datetime.now(UTC) - timedelta(hours=hours_ago),
            external_refs={"demo": DEMO_REF},
        )
        opened = await tickets.open_ticket(
            session, outbox, contracts=contracts, principal=AGENT, data=data, policy=policy
        )
        return opened.ticket

    async def named(_: uuid.UUID | None) -> Manager | None:
        return manager

    ana_email, cora_email = "ana@acme-water.example", "cora@cobalt.example"
    ana = customer_principal(answers[ana_email], ana_email)
    cora = customer_principal(answers[cora_email], cora_email)

    # Seed 000 and 001: Acme escalates; staff follow the path email → phone.
    escalated = await case(ana_email, "Pump curve import still fails after the patch", 30, None)
    await service.escalate(
        session,
        outbox,
        find_manager=named,
        principal=ana,
        ticket_id=escalated.id,
        kind=EscalationKind.CUSTOMER,
        reason="Three days without an answer, and our month-end model run is blocked.",
        team=None,
        policy=policy,
    )
    for channel, outcome, note in (
        (ContactChannel.EMAIL, ContactOutcome.NO_ANSWER, "Mailed Ana with the diagnosis plan."),
        (ContactChannel.PHONE, ContactOutcome.REACHED, "Ana agreed to a session tomorrow."),
    ):
        await service.record_attempt(
            session,
            principal=AGENT,
            ticket_id=escalated.id,
            channel=channel,
            outcome=outcome,
            note=note,
        )

    # Seed 002: Cobalt asks for another category: one accepted, one refused.
    for subject, wanted, decision, reason in (
        (
            "Invoicing run stops for every user",
            "I",
            Decision.ACCEPTED,
            "Nobody can invoice: Category I applies.",
        ),
        (
            "Report export is slow",
            "II",
            Decision.REFUSED,
            "The export works with the workaround in the knowledge base; Category III stays.",
        ),
    ):
        asked = await case(cora_email, subject, 6, "III")
        await changes.request_change(
            session,
            outbox,
            principal=cora,
            ticket_id=asked.id,
            priority=wanted,
            motivation=f"{subject}: we need a faster answer.",
        )
        await changes.decide(
            session,
            outbox,
            principal=MANAGER,
            ticket_id=asked.id,
            decision=decision,
            reason=reason,
            policy=policy,
        )
    log.info("escalation_demo_loaded")


async def seed(database_url: str) -> None:
    """Tickets' part of ``make run``'s demo data for escalations and change requests."""
    await seed_on_contracts(database_url, "escalations", seed_escalation_demo)
