"""What opening a case writes: the case, its first history, its timers and its event, with
the database asked as little as possible, and every piece consistent with the answer."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select, text

from careplane_shared.testing.sql import statements
from tickets.models import SlaTimer, Ticket, TicketEvent, outbox_events


def _case(ids, **extra):
    return {
        "product_id": ids["tideway"],
        "version": "3.1",
        "subject": "Model run stops at 42%",
        "description": "The hydraulic run stops with error E-1042 on the Riverside model.",
        **extra,
    }


async def test_an_open_writes_the_case_whole_in_one_statement_and_its_event_in_another(
    live, login, demo_ids, tickets_connection
):
    ana = await login("ana@acme-water.example")
    with statements(tickets_connection) as seen:
        response = await live.post("/v1/tickets", json=_case(demo_ids), headers=ana)
    assert response.status_code == 201, response.text
    answer = response.json()
    assert len(seen) == 2, seen
    assert "INSERT INTO tickets" in seen[0] and "INSERT INTO ticket_events" in seen[0]
    assert "INSERT INTO sla_timers" in seen[0]
    assert "INSERT INTO outbox_events" in seen[1]

    stored = (
        await tickets_connection.execute(select(Ticket).where(Ticket.id == answer["id"]))
    ).one()
    assert stored.number == answer["number"]
    assert stored.created_at == datetime.fromisoformat(answer["created_at"])
    assert (stored.case_visibility, stored.billable, stored.status) == ("customer", False, "OPEN")
    history = (
        await tickets_connection.execute(
            select(TicketEvent.kind, TicketEvent.actor_kind)
            .where(TicketEvent.ticket_id == stored.id)
            .order_by(TicketEvent.seq)
        )
    ).all()
    assert [tuple(h) for h in history] == [("OPENED", "customer"), ("STATUS_CHANGE", "system")]

    # A warning and a breach for each running clock; the soonest due time orders triage.
    running = [c for c in answer["sla"] if c["stopped_at"] is None]
    timers = (
        await tickets_connection.execute(
            select(SlaTimer.metric, SlaTimer.kind, SlaTimer.due_at).where(
                SlaTimer.ticket_id == stored.id
            )
        )
    ).all()
    assert sorted((t.metric, t.kind) for t in timers) == sorted(
        (c["metric"], kind) for c in running for kind in ("breach", "warning")
    )
    due = min(datetime.fromisoformat(c["due_at"]) for c in running)
    assert stored.next_due_at == due
    assert datetime.fromisoformat(answer["next_due_at"]) == due

    envelopes = (
        await tickets_connection.execute(
            select(outbox_events.c.envelope).where(outbox_events.c.type == "ticket.opened")
        )
    ).all()
    opened = {row.envelope["id"]: row.envelope for row in envelopes}
    assert [e["subject"] for e in opened.values()] == [answer["number"]]
    (data,) = [e["data"] for e in opened.values()]
    assert (data["number"], data["status"], data["entitlement_status"]) == (
        answer["number"],
        "OPEN",
        "entitled",
    )
    assert data["case_visibility"] == stored.case_visibility


async def test_case_numbers_keep_growing_past_six_digits(live, login, demo_ids, tickets_connection):
    """A sequence is not transactional: the test puts it back where it found it."""
    ana = await login("ana@acme-water.example")
    state = (
        await tickets_connection.execute(
            text("SELECT last_value, is_called FROM ticket_number_seq")
        )
    ).one()
    await tickets_connection.execute(text("SELECT setval('ticket_number_seq', 999998)"))
    try:
        numbers = [
            (await live.post("/v1/tickets", json=_case(demo_ids), headers=ana)).json()["number"]
            for _ in range(2)
        ]
    finally:
        await tickets_connection.execute(
            text("SELECT setval('ticket_number_seq', :value, :called)"),
            {"value": state.last_value, "called": state.is_called},
        )
    assert [re.sub(r"^CS-\d{4}-", "", n) for n in numbers] == ["999999", "1000000"]
