"""The demo of surveys and time, loaded on contracts' demo records, reads back through the
API as a closed case with an answered survey and billable time; its events are queued."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tickets.demo_contracts import contracts_url
from tickets.models import outbox_events
from tickets.survey import demo


async def test_the_demo_case_reads_back_through_the_api(
    live, live_app, login, demo_ids, contracts_client, tickets_connection
):
    admin = await login("admin@example.com")
    plans = (await contracts_client.get("/v1/plans", headers=admin)).json()
    plan = next(p for p in plans if p["code"] == demo.PLAN)
    agreements = await contracts_client.get(
        "/v1/agreements", params={"customer_id": demo_ids[demo.CUSTOMER]}, headers=admin
    )
    agreement = next(a for a in agreements.json()["items"] if a["plan_id"] == plan["id"])
    staff = (await contracts_client.get("/v1/staff-users", headers=admin)).json()["items"]
    facts = demo.DemoFacts(
        customer_id=uuid.UUID(demo_ids[demo.CUSTOMER]),
        contact_id=uuid.UUID(demo_ids[demo.CONTACT]),
        agreement_id=uuid.UUID(agreement["id"]),
        plan_id=uuid.UUID(plan["id"]),
        plan_code=plan["code"],
        sla_policy=plan["sla_policy"],
        product_id=uuid.UUID(demo_ids["tideway"]),
        version="3.1",
        agent_id=uuid.UUID(next(s["id"] for s in staff if s["email"] == demo.AGENT)),
    )
    async with AsyncSession(bind=tickets_connection, expire_on_commit=False) as session:
        assert not await demo.loaded(session, facts)
        ticket = await demo.load(session, facts, key=live_app.state.survey_policy.key)
        await session.flush()
        assert await demo.loaded(session, facts)  # a second make run loads nothing more

    agent = await login("agent@example.com")
    case = (await live.get(f"/v1/tickets/{ticket.id}", headers=agent)).json()
    assert (case["status"], case["plan_code"]) == ("CLOSED", demo.PLAN)
    survey = (await live.get(f"/v1/tickets/{ticket.id}/survey", headers=agent)).json()
    assert survey["answered_at"] is not None and survey["comment"]
    sheet = (await live.get(f"/v1/tickets/{ticket.id}/time-entries", headers=agent)).json()
    assert (sheet["total"], sheet["billable_minutes"], sheet["billed_minutes"]) == (3, 70, 90)
    types = set(
        await tickets_connection.scalars(
            select(outbox_events.c.type).where(
                outbox_events.c.envelope["subject"].astext == ticket.number
            )
        )
    )
    assert types == {"survey.invited", "ticket.billable_activity"}
    assert contracts_url("postgresql+asyncpg://u:p@h:5/careplane_tickets", {}).endswith(
        "/careplane_contracts"
    )
