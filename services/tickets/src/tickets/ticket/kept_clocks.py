"""The clocks a case keeps with it (``tickets.sla_clocks``), so that reading a case takes one
query and little of the SLA engine.

The history is the clocks' source. Besides the case itself, computing them needs only two
things from it: the priority at receipt and the events that move clocks. Every change that
recomputes the clocks (the open, :func:`tickets.ticket.transitions.move`) keeps those two
with the case, rebuilt from the whole history, and a read computes the clocks from them as
of its own instant: exactly what the history gives, without reading it.

Once every clock of a case has stopped (a closed case, or one without clocks), nothing in
them depends on the instant of the read any more: due times, breaches, paused minutes and
explanations are all settled. Their answer is then kept too, and a read serves it without
the engine. While a clock runs, the answer moves with the time (``breached``, the paused
minutes, the explanation's "due in ... as of ..."), so it is never served from a store.

A case without kept clocks (or kept in another ``format``) is read from its history.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tickets.models import Ticket, TicketEvent
from tickets.sla.model import SlaClock, SlaEvent
from tickets.ticket import clocks
from tickets.ticket.schemas import SlaClockRead

# Bumped whenever what is kept changes shape: a case kept in another format is read from
# its history until its next change keeps it anew.
FORMAT = 1


def views(computed: Sequence[SlaClock]) -> list[SlaClockRead]:
    """The clocks as the API shows them."""
    return [SlaClockRead(**clocks.clock_view(clock)) for clock in computed]


def keep(
    ticket: Ticket, history: Sequence[TicketEvent], computed: Sequence[SlaClock], *, as_of: datetime
) -> None:
    """Keeps with ``ticket`` what reading its clocks needs, from its whole ``history`` and
    the clocks just ``computed`` from it as of ``as_of``."""
    kept: dict[str, Any] = {
        "format": FORMAT,
        "as_of": as_of.isoformat(),
        "priority": clocks.initial_priority(ticket, history),
        "events": [_event_json(event) for event in clocks.sla_events(history)],
    }
    if all(clock.stopped_at is not None for clock in computed):
        kept["clocks"] = [view.model_dump(mode="json") for view in views(computed)]
    ticket.sla_clocks = kept


def read(ticket: Ticket, *, as_of: datetime) -> list[SlaClockRead] | None:
    """The case's clocks as of ``as_of`` from what it keeps; None when it keeps nothing
    usable (read them from its history)."""
    kept = ticket.sla_clocks
    if not kept or kept.get("format") != FORMAT:
        return None
    settled = kept.get("clocks")
    if settled is not None:
        return [SlaClockRead.model_validate(view) for view in settled]
    events = [_event(event) for event in kept["events"]]
    return views(clocks.compute_from(ticket, priority=kept["priority"], events=events, as_of=as_of))


async def read_all(
    session: AsyncSession, tickets: Sequence[Ticket], *, as_of: datetime
) -> dict[uuid.UUID, list[SlaClockRead]]:
    """Several cases' clocks as of ``as_of``: the histories of those that keep nothing
    usable are read in one query."""
    found = {ticket.id: read(ticket, as_of=as_of) for ticket in tickets}
    missing = [ticket for ticket in tickets if found[ticket.id] is None]
    histories = await clocks.histories_of(session, [ticket.id for ticket in missing])
    for ticket in missing:
        found[ticket.id] = views(clocks.compute(ticket, histories[ticket.id], as_of=as_of))
    return {key: value or [] for key, value in found.items()}


def _event_json(event: SlaEvent) -> dict[str, Any]:
    data: dict[str, Any] = {"at": event.at.isoformat(), "kind": event.kind.value}
    if event.status is not None:
        data["status"] = event.status.value
    if event.priority is not None:
        data["priority"] = event.priority
    if event.automated:
        data["automated"] = True
    if event.internal:
        data["internal"] = True
    return data


def _event(data: dict[str, Any]) -> SlaEvent:
    return SlaEvent(
        at=datetime.fromisoformat(data["at"]),
        kind=data["kind"],
        status=data.get("status"),
        priority=data.get("priority"),
        automated=data.get("automated", False),
        internal=data.get("internal", False),
    )
