"""The emergency of ``make run``'s demo: Delta Secure (Infotecs Premium: emergencies included
and billed) declares its case an emergency, the on-call staff of the demo rota are alerted
and the call is billable; loaded once however often the demo runs."""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from careplane_shared.testing.pieces import CONTRACTS, TICKETS
from tickets.emergencies.demo import DEMO_REF, seed_emergency_demo
from tickets.models import Ticket
from tickets.visits.demo import DAY_SHIFT, NIGHT_SHIFT, seed_visits
from tickets.visits.models import Emergency


async def test_the_demo_declares_a_billed_emergency_and_alerts_the_on_call(
    provision_database, monkeypatch
):
    from contracts.seed import seed

    contracts_url = await provision_database("emergencydemo_contracts", CONTRACTS.service_dir)
    tickets_url = await provision_database("emergencydemo_tickets", TICKETS.service_dir)
    await seed(contracts_url)
    monkeypatch.setenv("CONTRACTS_DATABASE_URL", contracts_url)
    engine = create_async_engine(tickets_url)
    try:
        for _ in range(2):  # make run loads the demo at every start
            async with async_sessionmaker(engine)() as session, session.begin():
                await seed_visits(session, tickets_url)  # the rota the alert goes to
                await seed_emergency_demo(session, contracts_url)
        async with AsyncSession(engine) as session:
            [case] = (
                await session.scalars(
                    select(Ticket).where(Ticket.external_refs["demo"].astext == DEMO_REF)
                )
            ).all()
            [emergency] = (await session.scalars(select(Emergency))).all()
            events = (
                await session.execute(
                    text("SELECT DISTINCT ON (id) type, envelope FROM outbox_events")
                )
            ).all()
    finally:
        await engine.dispose()
    assert (case.priority, case.status) == ("CRITICAL", "OPEN")
    assert emergency.ticket_id == case.id
    assert emergency.declared_by == "dan@delta.example"
    assert emergency.billable and emergency.billed_agreement_id is not None
    assert emergency.alerted and set(emergency.alerted) <= {DAY_SHIFT, NIGHT_SHIFT}
    types = [t for t, _ in events]
    assert types.count("ticket.emergency") == 1
    [billed] = [e["data"] for t, e in events if t == "ticket.billable_activity"]
    assert (billed["kind"], billed["ticket_id"]) == ("emergency_call", str(case.id))
