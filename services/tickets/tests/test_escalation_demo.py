"""The escalation demo of `make run`: loaded from contracts' committed demo data into
tickets, through tickets' own service functions, once."""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.testing.pieces import CONTRACTS
from tickets.demo_contracts import contracts_url
from tickets.escalation.demo import seed_escalation_demo
from tickets.escalation.models import ChangeRequest, ContactAttempt, Escalation
from tickets.models import Ticket


def test_contracts_database_is_the_dev_runners_neighbour():
    url = "postgresql+asyncpg://me:pw@127.0.0.1:5499/careplane_tickets"
    assert contracts_url(url, {}) == "postgresql+asyncpg://me:pw@127.0.0.1:5499/careplane_contracts"
    assert contracts_url(url, {"CONTRACTS_DATABASE_URL": "postgresql://x/y"}) == (
        "postgresql+asyncpg://x/y"
    )
    assert contracts_url("postgresql://h/other", {}) is None


async def test_the_demo_shows_an_escalation_and_both_change_request_outcomes(
    provision_database, tickets_connection
):
    from contracts.seed import seed

    url = await provision_database("contracts_escalation_demo", CONTRACTS.service_dir)
    await seed(url)
    async with AsyncSession(
        bind=tickets_connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    ) as session:
        await seed_escalation_demo(session, url)
        await session.commit()
        await seed_escalation_demo(session, url)  # a second load changes nothing
        await session.commit()

        cases = (await session.scalars(select(Ticket).order_by(Ticket.number))).all()
        assert [(t.subject[:14], t.status, t.priority) for t in cases] == [
            ("Pump curve imp", "ESCALATED", "NORMAL"),
            ("Invoicing run ", "OPEN", "I"),
            ("Report export ", "OPEN", "III"),
        ]
        [escalation] = (await session.scalars(select(Escalation))).all()
        assert (escalation.kind, escalation.owner_email) == ("CUSTOMER", "csm.americas@example.com")
        attempts = (
            await session.scalars(select(ContactAttempt).order_by(ContactAttempt.step))
        ).all()
        assert [(a.channel, a.outcome) for a in attempts] == [
            ("EMAIL", "NO_ANSWER"),
            ("PHONE", "REACHED"),
        ]
        requests = (await session.scalars(select(ChangeRequest))).all()
        assert sorted((r.to_priority, r.status) for r in requests) == [
            ("I", "ACCEPTED"),
            ("II", "REFUSED"),
        ]
        # Notify hears of it all through the outbox.
        types = set(
            (await session.execute(text("SELECT DISTINCT type FROM outbox_events"))).scalars()
        )
        assert {
            "ticket.escalated",
            "ticket.change_requested",
            "ticket.change_request_decided",
            "ticket.priority_changed",
        } <= types


async def test_without_contracts_demo_data_nothing_is_loaded(
    provision_database, tickets_connection
):
    url = await provision_database("contracts_empty_demo", CONTRACTS.service_dir)
    async with AsyncSession(
        bind=tickets_connection, join_transaction_mode="create_savepoint"
    ) as session:
        await seed_escalation_demo(session, url)
        assert (await session.scalars(select(Ticket))).all() == []
