"""The SLA engine applied to a stored case: its history in, clocks and timers out."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import Insert
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.sla_policy import SlaPolicy
from tickets.models import SlaTimer, Ticket, TicketEvent
from tickets.sla.calendar import BusinessCalendar
from tickets.sla.clocks import compute_clocks, warning_at
from tickets.sla.model import SlaClock, SlaEvent, SlaEventKind, TicketStatus
from tickets.ticket import sla_policies
from tickets.ticket.inserts import insert_rows, row_arrays, table_of

# History kinds that move clocks, and how.
_MESSAGE_KINDS = {
    "STAFF_REPLY": SlaEventKind.STAFF_REPLY,
    "CUSTOMER_REPLY": SlaEventKind.CUSTOMER_REPLY,
}


def sla_events(history: Sequence[TicketEvent]) -> list[SlaEvent]:
    events: list[SlaEvent] = []
    for event in history:
        if event.kind in _MESSAGE_KINDS:
            events.append(
                SlaEvent(
                    at=event.at,
                    kind=_MESSAGE_KINDS[event.kind],
                    automated=event.automated,
                    internal=event.internal,
                )
            )
        elif event.kind == "STATUS_CHANGE" and event.to_value:
            events.append(
                SlaEvent(
                    at=event.at,
                    kind=SlaEventKind.STATUS_CHANGE,
                    status=TicketStatus(event.to_value),
                )
            )
        elif event.kind == "PRIORITY_CHANGE" and event.to_value:
            events.append(
                SlaEvent(at=event.at, kind=SlaEventKind.PRIORITY_CHANGE, priority=event.to_value)
            )
    return events


def initial_priority(ticket: Ticket, history: Sequence[TicketEvent]) -> str | None:
    """The priority at receipt: before the first change, or the current one if none."""
    for event in history:
        if event.kind == "PRIORITY_CHANGE":
            return event.from_value
    return ticket.priority


def policy_of(ticket: Ticket) -> SlaPolicy | None:
    """The case's SLA policy snapshot (none while its entitlement is pending)."""
    return sla_policies.parse(ticket.sla_policy) if ticket.sla_policy else None


def compute(ticket: Ticket, history: Sequence[TicketEvent], *, as_of: datetime) -> list[SlaClock]:
    """Every clock of the case as of ``as_of`` (none while its entitlement is pending)."""
    return compute_from(
        ticket, priority=initial_priority(ticket, history), events=sla_events(history), as_of=as_of
    )


def compute_from(
    ticket: Ticket, *, priority: str | None, events: Sequence[SlaEvent], as_of: datetime
) -> list[SlaClock]:
    """:func:`compute` from what it takes out of the history: the priority at receipt and
    the events that move clocks."""
    policy = policy_of(ticket)
    if policy is None or priority is None:
        return []
    calendar = BusinessCalendar.for_spec(policy.calendar)
    return compute_clocks(
        policy,
        calendar,
        priority=priority,
        received_at=ticket.received_at,
        events=events,
        as_of=max(as_of, ticket.received_at),
        scheduled_visit=ticket.scheduled_visit,
    )


def clock_view(clock: SlaClock) -> dict[str, Any]:
    return {
        "metric": clock.metric.value,
        "cycle": clock.cycle,
        "priority": clock.priority,
        "target_minutes": clock.target_minutes,
        "business_time": clock.business_time,
        "started_at": clock.started_at,
        "due_at": clock.due_at,
        "stopped_at": clock.stopped_at,
        "paused_minutes": clock.paused_minutes,
        "paused": clock.paused,
        "breached": clock.breached,
        "breached_at": clock.breached_at,
        "explanation": list(clock.explanation),
    }


async def history_of(session: AsyncSession, ticket_id: uuid.UUID) -> list[TicketEvent]:
    return list(
        (
            await session.scalars(
                select(TicketEvent)
                .where(TicketEvent.ticket_id == ticket_id)
                .order_by(TicketEvent.seq)
            )
        ).all()
    )


async def histories_of(
    session: AsyncSession, ticket_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[TicketEvent]]:
    """Several cases' histories in one query."""
    result: dict[uuid.UUID, list[TicketEvent]] = {i: [] for i in ticket_ids}
    if ticket_ids:
        rows = await session.scalars(
            select(TicketEvent)
            .where(TicketEvent.ticket_id.in_(ticket_ids))
            .order_by(TicketEvent.seq)
        )
        for event in rows:
            result[event.ticket_id].append(event)
    return result


def timer_rows(
    ticket: Ticket, *, clocks: Sequence[SlaClock], warning_fraction: float
) -> tuple[list[dict[str, Any]], datetime | None]:
    """The timer rows of the case's running clocks (the instants they warn and breach
    at) and the soonest due time among them (``next_due_at``, the triage order)."""
    policy = policy_of(ticket)
    calendar = BusinessCalendar.for_spec(policy.calendar) if policy is not None else None
    rows: list[dict[str, Any]] = []
    due_times = []
    for clock in clocks:
        if clock.stopped_at is not None or clock.due_at is None or calendar is None:
            continue
        due_times.append(clock.due_at)
        warn = warning_at(clock, warning_fraction, calendar=calendar)
        for kind, fire_at in (("warning", warn), ("breach", clock.due_at)):
            if fire_at is None or (kind == "warning" and clock.breached):
                continue
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "ticket_id": ticket.id,
                    "metric": clock.metric.value,
                    "cycle": clock.cycle,
                    "kind": kind,
                    "fire_at": fire_at,
                    "due_at": clock.due_at,
                }
            )
    return rows, min(due_times) if due_times else None


@lru_cache(maxsize=4)
def _timers_insert(keys: tuple[str, ...]) -> Insert:
    # A timer that already fired for its clock stays fired: never announce it twice.
    return insert_rows(table_of(SlaTimer), keys, name="timers").on_conflict_do_nothing(
        index_elements=["ticket_id", "metric", "cycle", "kind"]
    )


async def reschedule(
    session: AsyncSession,
    ticket: Ticket,
    *,
    clocks: Sequence[SlaClock],
    warning_fraction: float,
) -> None:
    """Replaces the case's unfired timers with those of its running clocks, and keeps
    ``next_due_at`` in step."""
    await session.execute(
        delete(SlaTimer).where(SlaTimer.ticket_id == ticket.id, SlaTimer.fired_at.is_(None))
    )
    rows, ticket.next_due_at = timer_rows(ticket, clocks=clocks, warning_fraction=warning_fraction)
    if rows:
        await session.execute(_timers_insert(tuple(rows[0])), row_arrays(rows, name="timers"))
