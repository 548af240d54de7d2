"""Demo data of surveys and time (``make run``): a closed case of Cobalt Logistics
(Invantive Subscription) with an answered survey and three time entries, one billable.

The case is written as the API would leave it (its history, the close, a staff reply), on
contracts' demo records read from contracts' database next to tickets' own. Its
``survey.invited`` and billable time go into the outbox, so once the pieces run notify
mails the invitation to the local mailbox and contracts records the billable item.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from careplane_shared.billing import billed_minutes
from careplane_shared.events import Outbox
from tickets.config import TicketsSettings
from tickets.demo_contracts import contracts_url
from tickets.models import Message, Ticket, outbox_events
from tickets.survey import tokens
from tickets.survey.models import Survey
from tickets.ticket import repository, sla_policies
from tickets.ticket.events import event_data
from tickets.ticket.transitions import entry
from tickets.timeentries.models import TimeEntry
from tickets.timeentries.service import BILLABLE_EVENT, BILLED_AS

CUSTOMER = "Cobalt Logistics"
CONTACT = "cora@cobalt.example"
AGENT = "agent@example.com"
PLAN = "invantive-subscription"
LINK_BASE = "http://127.0.0.1:8000/api/tickets"
SUBJECT = "Export to the reporting database stops halfway"


@dataclass(frozen=True)
class DemoFacts:
    """What the demo case needs of contracts' demo data."""

    customer_id: uuid.UUID
    contact_id: uuid.UUID
    agreement_id: uuid.UUID
    plan_id: uuid.UUID
    plan_code: str
    sla_policy: dict[str, Any]
    product_id: uuid.UUID
    version: str
    agent_id: uuid.UUID


_FACTS = text(
    """
    SELECT cu.id AS customer_id, co.id AS contact_id, a.id AS agreement_id, p.id AS plan_id,
           p.code AS plan_code, p.sla_policy, pr.id AS product_id,
           (SELECT r.version FROM releases r JOIN major_versions m ON m.id = r.major_version_id
             WHERE m.product_id = pr.id ORDER BY r.version DESC LIMIT 1) AS version,
           (SELECT s.id FROM staff_users s WHERE s.email = :agent) AS agent_id
    FROM customers cu
    JOIN contacts co ON co.customer_id = cu.id AND co.email = :contact
    JOIN agreements a ON a.customer_id = cu.id
    JOIN plans p ON p.id = a.plan_id AND p.code = :plan
    CROSS JOIN LATERAL (SELECT id FROM products ORDER BY code LIMIT 1) pr
    WHERE cu.name = :customer
    LIMIT 1
    """
)


async def read_facts(url: str) -> DemoFacts | None:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            row = (
                await connection.execute(
                    _FACTS,
                    {"customer": CUSTOMER, "contact": CONTACT, "plan": PLAN, "agent": AGENT},
                )
            ).first()
    finally:
        await engine.dispose()
    if row is None or row.version is None or row.agent_id is None:
        return None
    return DemoFacts(**row._mapping)


async def loaded(session: AsyncSession, facts: DemoFacts) -> bool:
    """Whether an earlier ``make run`` on the same data loaded the demo case already."""
    found = await session.scalar(
        select(Ticket.id).where(Ticket.contact_id == facts.contact_id, Ticket.subject == SUBJECT)
    )
    return found is not None


async def load(session: AsyncSession, facts: DemoFacts, *, key: bytes) -> Ticket:
    """Writes the demo case, its survey (answered) and its time entries."""
    outbox = Outbox(outbox_events, source="tickets", destinations={"contracts": "", "notify": ""})
    now = datetime.now(UTC)
    opened, closed = now - timedelta(days=2), now - timedelta(days=1)
    sla, stored = sla_policies.normalized(facts.sla_policy)
    ticket = Ticket(
        id=uuid.uuid4(),
        customer_id=facts.customer_id,
        contact_id=facts.contact_id,
        product_id=facts.product_id,
        version=facts.version,
        subject=SUBJECT,
        description="The nightly export stops after the first 10 000 rows.",
        type="incident",
        priority=sla.default_priority,
        severity=2,
        language="nl",
        channel="portal",
        external_refs={},
        status="CLOSED",
        received_at=opened,
        closed_at=closed,
        resolution="A row over the size limit stopped the export; the limit is raised.",
        assignee_id=facts.agent_id,
        entitlement_status="entitled",
        entitlement={"plan_code": facts.plan_code},
        sla_policy=stored,
        agreement_id=facts.agreement_id,
        plan_id=facts.plan_id,
        plan_code=facts.plan_code,
        case_visibility="customer",
        opened_by=CONTACT,
    )
    history = [
        entry(ticket, "OPENED", at=opened, by=None, to_value=ticket.priority),
        entry(ticket, "STATUS_CHANGE", at=opened, by=None, from_value=None, to_value="OPEN"),
    ]
    await repository.insert_opened(session, ticket, number_prefix="CS", history=history, timers=[])
    reply_at = opened + timedelta(minutes=50)
    reply = Message(
        id=uuid.uuid4(),
        ticket_id=ticket.id,
        author_id=AGENT,
        author_kind="staff",
        body="We found the row that stops the export; a fix follows.",
        created_at=reply_at,
    )
    session.add(reply)
    by_staff = [
        entry(ticket, "STAFF_REPLY", at=reply_at, by=None, message_id=reply.id),
        entry(ticket, "STATUS_CHANGE", at=closed, by=None, from_value="OPEN", to_value="CLOSED"),
    ]
    for line in by_staff:
        line.actor_id, line.actor_kind = AGENT, "staff"
    session.add_all(by_staff)
    for minutes, activity, billable, note in (
        (35, "investigation", False, "Reproduced with the customer's data"),
        (20, "communication", False, "Call with Cora"),
        (70, "other_support", True, "Rebuilt the reporting database's indexes"),
    ):
        time = TimeEntry(
            id=uuid.uuid4(),
            ticket_id=ticket.id,
            customer_id=ticket.customer_id,
            agent_id=str(facts.agent_id),
            agent_email=AGENT,
            minutes=minutes,
            activity=activity,
            billable=billable,
            billed_minutes=billed_minutes(minutes) if billable else None,
            billed_at=closed if billable else None,
            worked_at=opened + timedelta(hours=2),
            note=note,
        )
        session.add(time)
        if billable:
            await session.flush()
            await outbox.emit(
                session,
                BILLABLE_EVENT,
                event_data(
                    ticket,
                    kind=BILLED_AS,
                    minutes=minutes,
                    occurred_at=time.worked_at.isoformat(),
                    description=f"{ticket.number}: {activity} ({note})",
                ),
                subject=ticket.number,
            )
    survey = Survey(
        id=uuid.uuid4(),
        ticket_id=ticket.id,
        customer_id=ticket.customer_id,
        contact_id=ticket.contact_id,
        plan_id=ticket.plan_id,
        plan_code=ticket.plan_code,
        agent_id=facts.agent_id,
        invited_at=closed,
        expires_at=closed + timedelta(days=30),
        answered_at=closed + timedelta(hours=3),
        answered_via="link",
        resolution=5,
        response_time=4,
        knowledge=5,
        communication=4,
        overall=5,
        comment="Snel opgelost, dank u.",
    )
    session.add(survey)
    await session.flush()
    link = f"{LINK_BASE}/v1/surveys/{tokens.sign(key, survey.id, survey.expires_at)}"
    await outbox.emit(
        session,
        "survey.invited",
        event_data(
            ticket,
            survey_id=str(survey.id),
            survey_url=link,
            expires_at=survey.expires_at.isoformat(),
        ),
        subject=ticket.number,
    )
    return ticket


async def seed(database_url: str) -> None:
    """Surveys and time: a closed case with an answered survey and time entries, on
    contracts' demo customers (skipped when contracts' demo data is not found)."""
    contracts = contracts_url(database_url)
    facts = await read_facts(contracts) if contracts else None
    if facts is None:
        return
    key = tokens.link_key(TicketsSettings(env="dev").client_secret)
    engine = create_async_engine(database_url)
    try:
        async with async_sessionmaker(engine)() as session, session.begin():
            if not await loaded(session, facts):
                await load(session, facts, key=key)
    finally:
        await engine.dispose()
