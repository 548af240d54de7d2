"""The one way a case changes: record its history, move its status, recompute its clocks
and timers, emit its events, all in the caller's transaction.

The history is the source of the SLA clocks, so every change that can move a clock goes
through :func:`move`; the clocks it computed come back in a :class:`TicketChange` for the
answer to show without reading the history again.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.auth import Principal
from careplane_shared.events import Outbox
from tickets.models import Ticket, TicketEvent
from tickets.sla.model import SlaClock
from tickets.ticket import clocks, kept_clocks
from tickets.ticket.events import event_data
from tickets.ticket.policy import TicketPolicy
from tickets.ticket.rules import Status


@dataclass(frozen=True, slots=True)
class TicketChange:
    """A changed case and, when they were recomputed, its clocks (``None``: read them
    from the history)."""

    ticket: Ticket
    clocks: list[SlaClock] | None = None


@dataclass(frozen=True, slots=True)
class Emit:
    """An event to emit once the case has moved: its type and what it adds to the case's
    payload (built after the move, so it shows the new status)."""

    type: str
    extra: dict[str, Any] = field(default_factory=dict)


def actor(principal: Principal) -> tuple[str, str]:
    """Who acted, as the history and the conversation record it: (id, kind)."""
    kind = "customer" if principal.is_customer else "staff" if principal.is_staff else "system"
    return principal.email or principal.subject, kind


def entry(
    ticket: Ticket,
    kind: str,
    *,
    at: datetime,
    by: Principal | None,
    from_value: str | None = None,
    to_value: str | None = None,
    reason: str | None = None,
    message_id: uuid.UUID | None = None,
    automated: bool = False,
    internal: bool = False,
) -> TicketEvent:
    """One line of the case's history; ``by=None`` is Careplane itself."""
    actor_id, actor_kind = actor(by) if by else ("careplane", "system")
    return TicketEvent(
        id=uuid.uuid4(),
        ticket_id=ticket.id,
        at=at,
        kind=kind,
        actor_id=actor_id,
        actor_kind=actor_kind,
        from_value=from_value,
        to_value=to_value,
        reason=reason,
        message_id=message_id,
        automated=automated,
        internal=internal,
    )


def status_change(
    ticket: Ticket,
    to: Status | None,
    *,
    at: datetime,
    by: Principal | None,
    reason: str | None = None,
) -> list[TicketEvent]:
    """Moves the case ``to`` a status when it is not there yet: its ``STATUS_CHANGE``
    entry (none when it stays); closing sets ``closed_at``, leaving CLOSED clears it."""
    if to is None or to.value == ticket.status:
        return []
    previous = ticket.status
    ticket.status = to.value
    if to is Status.CLOSED:
        ticket.closed_at = at
    elif previous == Status.CLOSED.value:
        ticket.closed_at = None
    return [
        entry(
            ticket,
            "STATUS_CHANGE",
            at=at,
            by=by,
            from_value=previous,
            to_value=to.value,
            reason=reason,
        )
    ]


async def refresh_clocks(
    session: AsyncSession, ticket: Ticket, *, policy: TicketPolicy, now: datetime
) -> list[SlaClock]:
    """The case's clocks as of ``now`` from its whole history (just flushed), kept with
    the case for its reads, with its timers replaced to match."""
    await session.flush()
    history = await clocks.history_of(session, ticket.id)
    computed = clocks.compute(ticket, history, as_of=now)
    kept_clocks.keep(ticket, history, computed, as_of=now)
    await clocks.reschedule(
        session, ticket, clocks=computed, warning_fraction=policy.warning_fraction
    )
    return computed


async def move(
    session: AsyncSession,
    outbox: Outbox,
    *,
    ticket: Ticket,
    policy: TicketPolicy,
    at: datetime,
    by: Principal | None,
    to: Status | None = None,
    reason: str | None = None,
    entries: Sequence[TicketEvent] = (),
    emits: Sequence[Emit] = (),
) -> TicketChange:
    """Records ``entries`` (what happened besides a status change), then moves the case
    ``to`` a status when it is not there yet (a ``STATUS_CHANGE`` entry at ``at`` by
    ``by`` with ``reason``, see :func:`status_change`), recomputes the clocks and timers
    as of ``at`` and emits ``emits`` in order. A case being opened does not come here:
    :func:`tickets.ticket.service.open_ticket` writes it whole in one statement."""
    history = [*entries, *status_change(ticket, to, at=at, by=by, reason=reason)]
    session.add_all(history)
    computed = await refresh_clocks(session, ticket, policy=policy, now=at)
    for emit in emits:
        await outbox.emit(
            session, emit.type, event_data(ticket, **emit.extra), subject=ticket.number
        )
    return TicketChange(ticket, computed)
