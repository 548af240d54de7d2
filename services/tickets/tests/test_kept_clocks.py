"""The clocks a case keeps with it: every read gives what its history gives, at any instant,
while reading the case once."""

from __future__ import annotations

import importlib.util
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.testing.sql import statements
from tickets.models import Ticket
from tickets.ticket import clocks, kept_clocks

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations" / "versions"


def _case(ids, **extra):
    return {
        "product_id": ids["tideway"],
        "version": "3.1",
        "subject": "Model run stops at 42%",
        "description": "The hydraulic run stops with error E-1042 on the Riverside model.",
        **extra,
    }


async def _stored(connection, ticket_id: str) -> Ticket:
    async with AsyncSession(bind=connection, join_transaction_mode="create_savepoint") as session:
        ticket = await session.get(Ticket, uuid.UUID(ticket_id))
        assert ticket is not None
        session.expunge(ticket)
        return ticket


async def _from_history(connection, ticket: Ticket, as_of: datetime) -> list[dict[str, Any]]:
    async with AsyncSession(bind=connection, join_transaction_mode="create_savepoint") as session:
        history = await clocks.history_of(session, ticket.id)
    computed = clocks.compute(ticket, history, as_of=as_of)
    return [view.model_dump(mode="json") for view in kept_clocks.views(computed)]


async def _assert_kept_as_history_says(connection, ticket_id: str) -> Ticket:
    """Now, and days later when every running clock has breached: the same clocks, the
    same explanations, from what the case keeps as from its history."""
    ticket = await _stored(connection, ticket_id)
    now = datetime.now(UTC)
    for as_of in (now, now + timedelta(days=9)):
        kept = kept_clocks.read(ticket, as_of=as_of)
        assert kept is not None
        assert [v.model_dump(mode="json") for v in kept] == await _from_history(
            connection, ticket, as_of
        )
    return ticket


async def test_every_change_keeps_what_the_history_says(live, login, demo_ids, tickets_connection):
    ana = await login("ana@acme-water.example")
    agent = await login("agent@example.com")
    ticket = (await live.post("/v1/tickets", json=_case(demo_ids), headers=ana)).json()
    path = f"/v1/tickets/{ticket['id']}"
    opened = await _assert_kept_as_history_says(tickets_connection, ticket["id"])
    assert "clocks" not in opened.sla_clocks  # running clocks move with the time

    changes = [
        ("messages", {"body": "An internal thought.", "internal": True}, agent),
        ("messages", {"body": "Can you send the model?"}, agent),
        ("status", {"status": "PENDING", "reason": "waiting for the model"}, agent),
        ("messages", {"body": "Attached."}, ana),
        ("priority", {"priority": "HIGH", "reason": "production is down"}, agent),
        ("close", {"resolution": "Pump curve corrected."}, agent),
    ]
    for action, body, who in changes:
        response = await live.post(f"{path}/{action}", json=body, headers=who)
        assert response.status_code in (200, 201), response.text
        await _assert_kept_as_history_says(tickets_connection, ticket["id"])

    # Closed: every clock has stopped and nothing in them moves any more; the answer is
    # kept and served as it is, whenever it is read.
    closed = await _assert_kept_as_history_says(tickets_connection, ticket["id"])
    assert closed.sla_clocks["clocks"] == (await live.get(path, headers=agent)).json()["sla"]

    reopened = await live.post(f"{path}/reopen", json={"reason": "It happens again"}, headers=ana)
    assert reopened.status_code == 200, reopened.text
    again = await _assert_kept_as_history_says(tickets_connection, ticket["id"])
    assert "clocks" not in again.sla_clocks


async def test_a_read_of_one_case_is_one_statement(live, login, demo_ids, tickets_connection):
    ana = await login("ana@acme-water.example")
    ticket = (await live.post("/v1/tickets", json=_case(demo_ids), headers=ana)).json()
    with statements(tickets_connection) as seen:
        read = await live.get(f"/v1/tickets/{ticket['id']}", headers=ana)
        by_number = await live.get(f"/v1/tickets/by-number/{ticket['number']}", headers=ana)
        batch = await live.get("/v1/tickets/batch", params={"id": [ticket["id"]]}, headers=ana)
    assert [r.status_code for r in (read, by_number, batch)] == [200, 200, 200]
    assert len(seen) == 3, seen
    assert [(c["metric"], c["due_at"]) for c in read.json()["sla"]] == [
        (c["metric"], c["due_at"]) for c in ticket["sla"]
    ]
    assert by_number.json()["id"] == batch.json()[0]["id"] == ticket["id"]


async def test_a_case_that_keeps_nothing_usable_is_read_from_its_history(
    live, login, demo_ids, tickets_connection
):
    ana = await login("ana@acme-water.example")
    ticket = (await live.post("/v1/tickets", json=_case(demo_ids), headers=ana)).json()
    kept = (await _stored(tickets_connection, ticket["id"])).sla_clocks
    for unusable in (None, {**kept, "format": kept_clocks.FORMAT + 1}):
        await tickets_connection.execute(
            update(Ticket).where(Ticket.id == ticket["id"]).values(sla_clocks=unusable)
        )
        with statements(tickets_connection) as seen:
            read = await live.get(f"/v1/tickets/{ticket['id']}", headers=ana)
        assert read.status_code == 200
        assert len(seen) == 2 and "ticket_events" in seen[1], seen
        assert [(c["metric"], c["due_at"]) for c in read.json()["sla"]] == [
            (c["metric"], c["due_at"]) for c in ticket["sla"]
        ]


def _backfill() -> str:
    (path,) = MIGRATIONS.glob("*_ticket_kept_sla_clocks.py")
    spec = importlib.util.spec_from_file_location("kept_sla_clocks_migration", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sql: str = module.BACKFILL
    return sql


async def test_the_migration_keeps_what_the_application_keeps(
    live, login, demo_ids, tickets_connection
):
    """Cases of every kind: opened, answered, paused, reclassified, closed, reopened; the
    migration's SQL rebuilds what the application kept for each, from its history."""
    ana = await login("ana@acme-water.example")
    agent = await login("agent@example.com")
    ids = []
    for steps in range(4):
        ticket = (await live.post("/v1/tickets", json=_case(demo_ids), headers=ana)).json()
        path = f"/v1/tickets/{ticket['id']}"
        moves = [
            ("messages", {"body": "A first answer."}, agent),
            ("status", {"status": "PENDING", "reason": "waiting"}, agent),
            ("priority", {"priority": "HIGH", "reason": "urgent now"}, agent),
            ("close", {"resolution": "Done."}, agent),
        ]
        for action, body, who in moves[:steps]:
            assert (await live.post(f"{path}/{action}", json=body, headers=who)).is_success
        ids.append(ticket["id"])
    kept = {i: (await _stored(tickets_connection, i)).sla_clocks for i in ids}

    await tickets_connection.execute(
        update(Ticket).where(Ticket.id.in_(ids)).values(sla_clocks=None)
    )
    await tickets_connection.execute(text(_backfill()))
    rows = await tickets_connection.execute(
        select(Ticket.id, Ticket.sla_clocks).where(Ticket.id.in_(ids))
    )
    rebuilt = {str(row.id): row.sla_clocks for row in rows}
    for i in ids:
        assert rebuilt[i]["format"] == kept_clocks.FORMAT
        assert rebuilt[i]["priority"] == kept[i]["priority"]
        assert _events(rebuilt[i]) == _events(kept[i])
        # What was rebuilt reads as the history says.
        await _assert_kept_as_history_says(tickets_connection, i)


def _events(kept: dict[str, Any]) -> list[dict[str, Any]]:
    """The kept events with their instants as instants (the database writes them in its
    own spelling)."""
    return [{**e, "at": datetime.fromisoformat(e["at"])} for e in kept["events"]]
